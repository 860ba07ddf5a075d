using System.Text.Json;
using Avro;

namespace WorkloadProfiles.Contracts.Tests;

public class SchemaFileTests
{
    private static readonly string SchemaDirectory = FindSchemaDirectory();

    public static TheoryData<string> Files => new(Directory.GetFiles(SchemaDirectory, "*.avsc").Select(Path.GetFileName)!);

    [Fact]
    public void Every_contract_has_a_schema_file_and_every_schema_file_a_contract()
    {
        var files = Directory.GetFiles(SchemaDirectory, "*.avsc").Select(f => Path.GetFileNameWithoutExtension(f)).Order();
        var contracts = AvroContracts.All.Select(c => c.Schema.Name).Order();
        Assert.Equal(contracts, files);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Schema_file_parses_and_is_the_schema_the_codec_uses(string file)
    {
        var text = File.ReadAllText(Path.Combine(SchemaDirectory, file));
        var parsed = Schema.Parse(text);
        var contract = AvroContracts.FindByName(((NamedSchema)parsed).Fullname);

        Assert.NotNull(contract);
        Assert.Equal(text, contract.SchemaJson);
        Assert.Equal(SchemaNormalization.ToParsingForm(parsed), SchemaNormalization.ToParsingForm(contract.Schema));
    }

    [Fact]
    public void Fingerprint_is_crc64_avro_of_the_parsing_canonical_form()
    {
        foreach (var contract in AvroContracts.All)
        {
            var canonical = System.Text.Encoding.UTF8.GetBytes(SchemaNormalization.ToParsingForm(contract.Schema));
            Assert.Equal(Crc64Avro(canonical), contract.Fingerprint);
        }
        Assert.Equal(AvroContracts.All.Count, AvroContracts.All.Select(c => c.Fingerprint).Distinct().Count());
    }

    [Fact]
    public void Named_types_shared_between_files_are_defined_identically()
    {
        var definitions = new Dictionary<string, (string File, string Canonical)>();
        foreach (var contract in AvroContracts.All)
        {
            foreach (var named in NamedTypes(contract.Schema))
            {
                var canonical = SchemaNormalization.ToParsingForm(named);
                if (definitions.TryGetValue(named.Fullname, out var seen))
                {
                    Assert.True(seen.Canonical == canonical, $"{named.Fullname} differs between {seen.File} and {contract.Schema.Name}.avsc");
                }
                else
                {
                    definitions[named.Fullname] = (contract.Schema.Name + ".avsc", canonical);
                }
            }
        }
        Assert.Contains("io.workloadprofiles.Container", definitions.Keys);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Schema_follows_the_evolution_rules(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(SchemaDirectory, file)));
        Assert.Equal("io.workloadprofiles", json.RootElement.GetProperty("namespace").GetString());
        CheckType(json.RootElement, file);
    }

    private static void CheckType(JsonElement type, string where)
    {
        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var branch in type.EnumerateArray()) CheckType(branch, where);
            return;
        }
        if (type.ValueKind != JsonValueKind.Object) return;

        switch (type.GetProperty("type").GetString())
        {
            case "record":
                var record = type.GetProperty("name").GetString();
                Assert.True(type.TryGetProperty("doc", out _), $"{where}: record {record} has no doc");
                foreach (var field in type.GetProperty("fields").EnumerateArray())
                {
                    var name = $"{record}.{field.GetProperty("name").GetString()}";
                    Assert.True(field.TryGetProperty("doc", out _), $"{where}: field {name} has no doc");
                    var fieldType = field.GetProperty("type");
                    if (fieldType.ValueKind == JsonValueKind.Array && fieldType.EnumerateArray().Any(b => b.ValueKind == JsonValueKind.String && b.GetString() == "null"))
                    {
                        Assert.True(fieldType[0].GetString() == "null", $"{where}: optional field {name} must list null first");
                        Assert.True(field.TryGetProperty("default", out var d) && d.ValueKind == JsonValueKind.Null, $"{where}: optional field {name} needs default null");
                    }
                    CheckType(fieldType, $"{where}: {name}");
                }
                break;
            case "enum":
                var symbols = type.GetProperty("symbols").EnumerateArray().Select(s => s.GetString()).ToList();
                Assert.True(type.TryGetProperty("default", out var symbol) && symbols.Contains(symbol.GetString()),
                    $"{where}: enum {type.GetProperty("name").GetString()} needs a default symbol for evolution");
                break;
            case "array":
                CheckType(type.GetProperty("items"), where);
                break;
            case "long" when type.TryGetProperty("logicalType", out var logical):
                Assert.Equal("timestamp-micros", logical.GetString());
                break;
        }
    }

    private static IEnumerable<NamedSchema> NamedTypes(Schema schema)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<Schema>([schema]);
        while (pending.Count > 0)
        {
            switch (pending.Pop())
            {
                case RecordSchema r when seen.Add(r.Fullname):
                    yield return r;
                    foreach (var f in r.Fields) pending.Push(f.Schema);
                    break;
                case EnumSchema e when seen.Add(e.Fullname):
                    yield return e;
                    break;
                case ArraySchema a:
                    pending.Push(a.ItemSchema);
                    break;
                case UnionSchema u:
                    foreach (var s in u.Schemas) pending.Push(s);
                    break;
            }
        }
    }

    /// <summary>The Avro specification's reference CRC-64-AVRO, written out independently of Apache.Avro.</summary>
    private static ulong Crc64Avro(byte[] data)
    {
        const ulong Empty = 0xc15d213aa4d7a795UL;
        var table = new ulong[256];
        for (var i = 0; i < 256; i++)
        {
            var fp = (ulong)i;
            for (var j = 0; j < 8; j++) fp = (fp >> 1) ^ (Empty & (0UL - (fp & 1)));
            table[i] = fp;
        }
        var result = Empty;
        foreach (var b in data) result = (result >> 8) ^ table[(int)((result ^ b) & 0xff)];
        return result;
    }

    private static string FindSchemaDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return Path.Combine(dir.FullName, "schemas");
        }
        throw new DirectoryNotFoundException("schemas/ not found above " + AppContext.BaseDirectory);
    }
}
