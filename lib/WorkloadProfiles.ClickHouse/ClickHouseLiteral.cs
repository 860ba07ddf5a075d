using System.Buffers;
using System.Globalization;
using System.Text;

namespace WorkloadProfiles.ClickHouse;

/// <summary>
/// The one place where values become SQL text. ClickHouse 18.16 has no server-side query parameters, so every
/// literal and identifier that reaches a query is rendered here; nothing else concatenates user data into SQL.
/// </summary>
/// <remarks>
/// Escaping follows ClickHouse's quoted-string grammar (the same for <c>'string'</c> and <c>`identifier`</c>):
/// backslash and the quote are backslash-escaped, NUL and the C control characters use their short escapes
/// (<c>\0 \b \f \n \r \t \a \v</c>), every other control character and DEL become <c>\xHH</c>. A ClickHouse String is a
/// byte string: <see cref="Bytes"/> renders bytes that are not valid UTF-8 as <c>\xHH</c> so they reach the server
/// unchanged, while valid UTF-8 passes through as text. The output is therefore plain printable text, safe in a URL
/// parameter or a request body, and the server parses it back to exactly the original bytes.
/// </remarks>
public static class ClickHouseLiteral
{
    /// <summary>A string literal: <c>'…'</c>. The string is sent as UTF-8.</summary>
    /// <exception cref="ArgumentException">The string holds an unpaired surrogate, which has no UTF-8 form.</exception>
    public static string String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('\'');
        AppendEscaped(builder, value, '\'');
        return builder.Append('\'').ToString();
    }

    /// <summary>A string literal for an arbitrary byte string, which need not be valid UTF-8.</summary>
    public static string Bytes(ReadOnlySpan<byte> value)
    {
        var builder = new StringBuilder(value.Length + 2);
        builder.Append('\'');
        while (!value.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(value, out var rune, out var consumed);
            if (status == OperationStatus.Done)
            {
                AppendRune(builder, rune, '\'');
            }
            else
            {
                // Invalid or truncated sequence: keep each byte as it is, in its hex escape.
                for (var i = 0; i < consumed; i++) AppendHexEscape(builder, value[i]);
            }
            value = value[consumed..];
        }
        return builder.Append('\'').ToString();
    }

    /// <summary>A quoted identifier (database, table or column name): <c>`…`</c>.</summary>
    /// <exception cref="ArgumentException">The name is empty or holds an unpaired surrogate.</exception>
    public static string Identifier(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var builder = new StringBuilder(name.Length + 2);
        builder.Append('`');
        AppendEscaped(builder, name, '`');
        return builder.Append('`').ToString();
    }

    /// <summary><c>`database`.`table`</c>.</summary>
    public static string QualifiedName(string database, string table) => Identifier(database) + "." + Identifier(table);

    /// <summary>An array of string literals: <c>['a', 'b']</c>.</summary>
    public static string StringArray(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(String)) + "]";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A Float64 literal that round-trips; NaN and infinities use ClickHouse's own spellings.</summary>
    public static string Number(double value) => value switch
    {
        double.NaN => "nan",
        double.PositiveInfinity => "inf",
        double.NegativeInfinity => "-inf",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static void AppendEscaped(StringBuilder builder, string value, char quote)
    {
        foreach (var rune in EnumerateRunesStrict(value)) AppendRune(builder, rune, quote);
    }

    private static IEnumerable<Rune> EnumerateRunesStrict(string value)
    {
        for (var i = 0; i < value.Length;)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed) != OperationStatus.Done)
            {
                throw new ArgumentException(
                    $"The string has an unpaired UTF-16 surrogate at index {i}; it cannot be sent to ClickHouse as UTF-8.", nameof(value));
            }
            yield return rune;
            i += consumed;
        }
    }

    private static void AppendRune(StringBuilder builder, Rune rune, char quote)
    {
        if (rune.Value >= 0x80)
        {
            builder.Append(rune.ToString());
            return;
        }
        var c = (char)rune.Value;
        switch (c)
        {
            case '\\': builder.Append(@"\\"); break;
            case '\0': builder.Append(@"\0"); break;
            case '\b': builder.Append(@"\b"); break;
            case '\f': builder.Append(@"\f"); break;
            case '\n': builder.Append(@"\n"); break;
            case '\r': builder.Append(@"\r"); break;
            case '\t': builder.Append(@"\t"); break;
            case '\a': builder.Append(@"\a"); break;
            case '\v': builder.Append(@"\v"); break;
            default:
                if (c == quote)
                {
                    builder.Append('\\').Append(c);
                }
                else if (c < 0x20 || c == 0x7F)
                {
                    AppendHexEscape(builder, (byte)c);
                }
                else
                {
                    builder.Append(c);
                }
                break;
        }
    }

    private static void AppendHexEscape(StringBuilder builder, byte b) =>
        builder.Append(@"\x").Append(b.ToString("X2", CultureInfo.InvariantCulture));
}
