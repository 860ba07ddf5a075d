using System.Text;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>The escaping helper, by its exact output and by a round trip through the real server.</summary>
public sealed class ClickHouseLiteralTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", @"'it\'s'")]
    [InlineData(@"C:\temp\", @"'C:\\temp\\'")]
    [InlineData(@"\'", @"'\\\''")]
    [InlineData("a\0b", @"'a\0b'")]
    [InlineData("line\nnext\r\ttab", @"'line\nnext\r\ttab'")]
    [InlineData("\b\f\a\v", @"'\b\f\a\v'")]
    [InlineData("\u0001\u001f\u007f", @"'\x01\x1F\x7F'")]
    [InlineData("`back`", "'`back`'")]
    [InlineData("日本語 ✓ 😀", "'日本語 ✓ 😀'")]
    [InlineData("", "''")]
    public void String_escapes_quotes_backslashes_and_control_characters(string value, string expected)
    {
        Assert.Equal(expected, ClickHouseLiteral.String(value));
    }

    [Fact]
    public void Bytes_keep_valid_utf8_as_text_and_escape_every_invalid_byte()
    {
        byte[] value = [(byte)'a', 0xFF, 0xC3, 0xA9, 0xC3, (byte)'\'', 0x00, 0xE2, 0x82];

        Assert.Equal(@"'a\xFFé\xC3\'\0\xE2\x82'", ClickHouseLiteral.Bytes(value));
    }

    [Fact]
    public void String_with_an_unpaired_surrogate_is_rejected_with_its_position()
    {
        var error = Assert.Throws<ArgumentException>(() => ClickHouseLiteral.String("ok\uD800x"));
        Assert.Contains("index 2", error.Message);
    }

    [Theory]
    [InlineData("profiles", "`profiles`")]
    [InlineData("we`ird", @"`we\`ird`")]
    [InlineData(@"back\slash", @"`back\\slash`")]
    [InlineData("it's", "`it's`")]
    public void Identifier_is_backquoted_and_escaped(string name, string expected)
    {
        Assert.Equal(expected, ClickHouseLiteral.Identifier(name));
    }

    [Fact]
    public void Identifier_must_not_be_empty()
    {
        Assert.Throws<ArgumentException>(() => ClickHouseLiteral.Identifier(""));
    }

    [Fact]
    public void Numbers_are_invariant_and_round_trip()
    {
        Assert.Equal("-42", ClickHouseLiteral.Number(-42L));
        Assert.Equal("18446744073709551615", ClickHouseLiteral.Number(ulong.MaxValue));
        Assert.Equal("0.1", ClickHouseLiteral.Number(0.1));
        Assert.Equal("nan", ClickHouseLiteral.Number(double.NaN));
        Assert.Equal("-inf", ClickHouseLiteral.Number(double.NegativeInfinity));
    }

    public static TheoryData<string> HostileStrings => new()
    {
        "it's", @"back\slash", @"\'", @"'\", "a\0b", "\0", "line\nbreak\r\n", "tab\tend",
        "\u0001\u0002\u001b[31m\u007f", "' OR 1=1 --", "'); DROP DATABASE x; --", "日本語 ✓ 😀", "\\x41", "\\0", "`",
    };

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public async Task String_round_trips_through_the_server(string value)
    {
        var rows = await fixture.Database.QueryListAsync<ValueRow>($"SELECT {ClickHouseLiteral.String(value)} AS value");

        Assert.Equal(value, Assert.Single(rows).Value);
    }

    [Fact]
    public async Task Many_random_strings_round_trip_in_one_query()
    {
        var random = new Random(20261127);
        var values = Enumerable.Range(0, 300).Select(_ => RandomString(random)).ToList();

        var rows = await fixture.Database.QueryListAsync<ValuesRow>(
            $"SELECT {ClickHouseLiteral.StringArray(values)} AS values");

        Assert.Equal(values, Assert.Single(rows).Values);
    }

    [Fact]
    public async Task Non_utf8_bytes_round_trip_through_insert_and_select()
    {
        byte[][] values =
        [
            [0xFF, 0xFE, 0x00, (byte)'\'', (byte)'\\'],
            [0xC3],
            [(byte)'o', (byte)'k', 0xC3, 0xA9, 0x80],
            [0x1B, (byte)'x', 0x7F, (byte)'\n'],
        ];
        var table = ClickHouseLiteral.Identifier("bytes_round_trip");
        await fixture.Database.ExecuteAsync($"CREATE TABLE {table} (i UInt32, s String) ENGINE = Memory");
        var tuples = values.Select((v, i) => $"({i}, {ClickHouseLiteral.Bytes(v)})");
        await fixture.Database.ExecuteAsync($"INSERT INTO {table} (i, s) VALUES {string.Join(", ", tuples)}");

        var rows = await fixture.Database.QueryListAsync<HexRow>($"SELECT i, hex(s) AS hex FROM {table} ORDER BY i");

        Assert.Equal(values.Select(Convert.ToHexString), rows.Select(r => r.Hex));
    }

    [Fact]
    public async Task Non_utf8_bytes_in_a_result_read_as_replacement_characters()
    {
        var rows = await fixture.Database.QueryListAsync<ValueRow>($"SELECT {ClickHouseLiteral.Bytes([(byte)'a', 0xFF, (byte)'b'])} AS value");

        Assert.Equal("a\uFFFDb", Assert.Single(rows).Value);
    }

    [Fact]
    public async Task Hostile_identifier_names_a_real_table()
    {
        var name = "odd `name` \\ 'with' quotes";
        var table = ClickHouseLiteral.Identifier(name);
        await fixture.Database.ExecuteAsync($"CREATE TABLE {table} (x UInt8) ENGINE = Memory");

        var rows = await fixture.Database.QueryListAsync<ValueRow>(
            $"SELECT name AS value FROM system.tables WHERE database = {ClickHouseLiteral.String(fixture.Database.Name)} AND name = {ClickHouseLiteral.String(name)}");

        Assert.Equal(name, Assert.Single(rows).Value);
    }

    private static string RandomString(Random random)
    {
        var builder = new StringBuilder();
        var length = random.Next(0, 24);
        for (var i = 0; i < length; i++)
        {
            builder.Append(random.Next(6) switch
            {
                0 => ((char)random.Next(0, 0x20)).ToString(),
                1 => "'\\`\"?%"[random.Next(6)].ToString(),
                2 => ((char)random.Next(0x80, 0xD800)).ToString(),
                3 => char.ConvertFromUtf32(random.Next(0x10000, 0x10FFFF)),
                _ => ((char)random.Next(0x20, 0x7F)).ToString(),
            });
        }
        return builder.ToString();
    }

    private sealed record ValueRow(string Value);
    private sealed record ValuesRow(string[] Values);
    private sealed record HexRow(uint I, string Hex);
}
