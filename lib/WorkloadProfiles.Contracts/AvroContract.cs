using System.Reflection;
using Avro;
using WorkloadProfiles.Contracts.Binary;

namespace WorkloadProfiles.Contracts;

/// <summary>One Avro record contract: its schema (from schemas/*.avsc), fingerprint and older versions, independent of T.</summary>
public interface IAvroContract
{
    /// <summary>Full Avro name, e.g. <c>io.workloadprofiles.RawEventBatch</c>.</summary>
    string Name { get; }

    Type ValueType { get; }

    /// <summary>The current (writer and reader) schema.</summary>
    RecordSchema Schema { get; }

    /// <summary>The .avsc text the schema was parsed from (what is registered with a schema registry).</summary>
    string SchemaJson { get; }

    /// <summary>CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form (the single-object encoding header).</summary>
    ulong Fingerprint { get; }

    /// <summary>Earlier versions of the schema (schemas/history), readable through schema resolution.</summary>
    IReadOnlyList<RecordSchema> History { get; }
}

/// <summary>
/// The contract between a domain record <typeparamref name="T"/> and its Avro schema: the schema, and the body
/// (binary encoding without any framing) in both directions. Codecs add the wire framing; see <see cref="AvroCodec{T}"/>.
/// </summary>
public sealed class AvroContract<T> : IAvroContract where T : class
{
    private readonly Action<AvroWriter, T> _write;
    private readonly AvroItemReader<T> _read;

    internal AvroContract(string fileName, Action<AvroWriter, T> write, AvroItemReader<T> read)
        : this(SchemaFiles.Read(fileName), SchemaFiles.History(fileName), write, read)
    {
    }

    private AvroContract(string schemaJson, IReadOnlyList<RecordSchema> history, Action<AvroWriter, T> write, AvroItemReader<T> read)
    {
        SchemaJson = schemaJson;
        Schema = SchemaFiles.ParseRecord(schemaJson, typeof(T).Name);
        Fingerprint = SchemaFiles.FingerprintOf(Schema);
        History = history;
        _write = write;
        _read = read;
    }

    public string Name => Schema.Fullname;

    public Type ValueType => typeof(T);

    public RecordSchema Schema { get; }

    public string SchemaJson { get; }

    public ulong Fingerprint { get; }

    public IReadOnlyList<RecordSchema> History { get; }

    /// <summary>The Avro binary body of <paramref name="value"/> under <see cref="Schema"/>, without framing.</summary>
    /// <exception cref="ContractException"><c>invalid-value</c>: a required field is null, an enum undefined, a string not UTF-16.</exception>
    public byte[] EncodeBody(T value)
    {
        var writer = AvroWriter.Rent();
        try
        {
            WriteBody(writer, value);
            return writer.ToArray();
        }
        finally
        {
            AvroWriter.Return(writer);
        }
    }

    /// <summary>Decodes a body written under <see cref="Schema"/>; every byte must belong to the record.</summary>
    /// <exception cref="ContractException"><c>malformed-avro</c> or <c>unsupported-value</c>.</exception>
    public T DecodeBody(ReadOnlySpan<byte> body)
    {
        var reader = new AvroReader(body);
        var value = ReadBody(ref reader);
        if (!reader.End) throw Malformed($"{reader.Remaining} trailing bytes after the record");
        return value;
    }

    internal void WriteBody(AvroWriter writer, T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        try
        {
            _write(writer, value);
        }
        catch (System.Text.EncoderFallbackException ex)
        {
            throw new ContractException(ContractErrorReasons.InvalidValue,
                $"{Name}: a string is not valid UTF-16 (lone surrogate) and cannot be encoded as UTF-8", ex) { ExpectedSchema = Name };
        }
    }

    /// <summary>Reads one record from <paramref name="reader"/>, leaving it positioned after the record.</summary>
    internal T ReadBody(ref AvroReader reader)
    {
        try
        {
            return _read(ref reader);
        }
        catch (AvroMalformedException ex)
        {
            throw Malformed(ex.Message);
        }
    }

    /// <summary>This contract with extra earlier schema versions (tests exercise resolution before a real older version exists).</summary>
    internal AvroContract<T> WithHistory(params RecordSchema[] older) => new(SchemaJson, [.. History, .. older], _write, _read);

    private ContractException Malformed(string detail) =>
        new(ContractErrorReasons.MalformedAvro, $"Malformed {Name} body: {detail}") { ExpectedSchema = Name };

    public override string ToString() => $"{Name} (fingerprint 0x{Fingerprint:x16})";
}

/// <summary>The embedded schemas/*.avsc files.</summary>
internal static class SchemaFiles
{
    private static readonly Assembly Assembly = typeof(SchemaFiles).Assembly;

    public static string Read(string fileName)
    {
        using var stream = Assembly.GetManifestResourceStream($"schemas/{fileName}")
            ?? throw new InvalidOperationException($"schemas/{fileName} is not embedded in {Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static RecordSchema ParseRecord(string json, string origin) =>
        Avro.Schema.Parse(json) as RecordSchema ?? throw new InvalidOperationException($"{origin} is not an Avro record schema");

    /// <summary>Older versions live in schemas/history/&lt;Name&gt;.v&lt;n&gt;.avsc.</summary>
    public static IReadOnlyList<RecordSchema> History(string fileName)
    {
        var prefix = $"schemas/history/{Path.GetFileNameWithoutExtension(fileName)}.";
        return [.. Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".avsc", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => ParseRecord(Read(n["schemas/".Length..]), n))];
    }

    /// <summary>CRC-64-AVRO (Rabin) of the Parsing Canonical Form, as the Avro single-object encoding specifies.</summary>
    public static ulong FingerprintOf(Avro.Schema schema) => unchecked((ulong)SchemaNormalization.ParsingFingerprint64(schema));
}
