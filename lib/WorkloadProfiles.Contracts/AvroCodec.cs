using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using Avro;
using Confluent.SchemaRegistry;
using WorkloadProfiles.Contracts.Binary;
using RegistrySchema = Confluent.SchemaRegistry.Schema;

namespace WorkloadProfiles.Contracts;

/// <summary>Serializes one topic's values. Get one from <see cref="AvroCodecs.For{T}()"/>.</summary>
public interface IAvroCodec<T> where T : class
{
    AvroContract<T> Contract { get; }

    string Topic { get; }

    /// <summary>The framed record value.</summary>
    /// <exception cref="ContractException"><c>invalid-value</c>, <c>oversized</c>, <c>schema-registry</c>.</exception>
    byte[] Serialize(T value);

    /// <summary>Decodes a framed record value, resolving older writer schemas.</summary>
    /// <exception cref="ContractException"><c>malformed-avro</c>, <c>unknown-schema</c>, <c>wrong-type</c>, <c>oversized</c>,
    /// <c>unsupported-value</c>, <c>schema-registry</c>.</exception>
    T Deserialize(ReadOnlySpan<byte> data);
}

/// <summary>
/// The Avro codec of one topic. Writes Avro single-object encoding (0xC3 0x01, the schema's 8-byte little-endian
/// CRC-64-AVRO fingerprint, the binary body), or — when constructed with a schema registry client — the Confluent wire
/// format (0x00, the 4-byte big-endian schema id registered under <c>&lt;topic&gt;-value</c>, the body).
/// Reads either framing, whichever it writes: the current schema decodes directly; an older version
/// (schemas/history, or any registry version of the same record) goes through Avro schema resolution.
/// Thread-safe.
/// </summary>
public sealed class AvroCodec<T> : IAvroCodec<T> where T : class
{
    private const byte SingleObjectMarker = 0xC3, SingleObjectVersion = 0x01, ConfluentMagic = 0x00;
    private const int SingleObjectHeaderBytes = 10, ConfluentHeaderBytes = 5;

    private readonly int _maxRecordBytes;
    private readonly bool _autoRegister;
    private readonly ISchemaRegistryClient? _registry;
    private readonly Lazy<int>? _schemaId;
    private readonly Dictionary<ulong, SchemaResolution> _history;
    private readonly ConcurrentDictionary<int, WriterPlan> _registryPlans = new();

    /// <param name="registry">When not null, values are written in the Confluent wire format with ids from this registry.</param>
    public AvroCodec(AvroContract<T> contract, string topic, AvroCodecOptions? options = null, ISchemaRegistryClient? registry = null)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        options ??= AvroCodecOptions.Default;
        if (options.MaxRecordBytes <= SingleObjectHeaderBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxRecordBytes, "MaxRecordBytes must leave room for a record");
        }

        Contract = contract;
        Topic = topic;
        _maxRecordBytes = options.MaxRecordBytes;
        _autoRegister = options.AutoRegisterSchemas;
        _registry = registry;
        _history = contract.History.ToDictionary(SchemaFiles.FingerprintOf, h => new SchemaResolution(h, contract.Schema));
        if (registry is not null)
        {
            // PublicationOnly: a registry outage is not cached; the next record tries again.
            _schemaId = new Lazy<int>(ResolveOwnSchemaId, LazyThreadSafetyMode.PublicationOnly);
        }
    }

    public AvroContract<T> Contract { get; }

    public string Topic { get; }

    public string Subject => Topics.ValueSubject(Topic);

    /// <summary>Whether values are written in the Confluent wire format (a registry is configured).</summary>
    public bool UsesSchemaRegistry => _registry is not null;

    public byte[] Serialize(T value)
    {
        var writer = AvroWriter.Rent();
        try
        {
            if (_schemaId is not null)
            {
                writer.WriteByte(ConfluentMagic);
                writer.WriteInt32BigEndian(_schemaId.Value);
            }
            else
            {
                writer.WriteByte(SingleObjectMarker);
                writer.WriteByte(SingleObjectVersion);
                writer.WriteUInt64LittleEndian(Contract.Fingerprint);
            }
            Contract.WriteBody(writer, value);
            if (writer.Length > _maxRecordBytes) throw Oversized(writer.Length, "write");
            return writer.ToArray();
        }
        finally
        {
            AvroWriter.Return(writer);
        }
    }

    public T Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length > _maxRecordBytes) throw Oversized(data.Length, "read");
        if (data.IsEmpty) throw Malformed("the value is empty (a tombstone must be handled before decoding)");

        switch (data[0])
        {
            case SingleObjectMarker:
                if (data.Length < SingleObjectHeaderBytes || data[1] != SingleObjectVersion)
                {
                    throw Malformed("the Avro single-object header (0xC3 0x01 + 8-byte fingerprint) is truncated or has an unknown version");
                }
                var fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(data[2..SingleObjectHeaderBytes]);
                return DecodeFingerprinted(fingerprint, data[SingleObjectHeaderBytes..]);

            case ConfluentMagic:
                if (data.Length < ConfluentHeaderBytes) throw Malformed("the Confluent header (0x00 + 4-byte schema id) is truncated");
                var schemaId = BinaryPrimitives.ReadInt32BigEndian(data[1..ConfluentHeaderBytes]);
                return DecodeRegistered(schemaId, data[ConfluentHeaderBytes..]);

            default:
                throw Malformed($"unknown framing byte 0x{data[0]:x2}; expected 0xC3 0x01 (Avro single-object) or 0x00 (Confluent)");
        }
    }

    private T DecodeFingerprinted(ulong fingerprint, ReadOnlySpan<byte> body)
    {
        if (fingerprint == Contract.Fingerprint) return Contract.DecodeBody(body);
        if (_history.TryGetValue(fingerprint, out var resolution)) return Contract.DecodeBody(resolution.Rewrite(body, Contract.Name));

        if (AvroContracts.FindByFingerprint(fingerprint) is { } other)
        {
            throw new ContractException(ContractErrorReasons.WrongType,
                $"Record with schema fingerprint 0x{fingerprint:x16} is a {other.Name}, but topic {Topic} carries {Contract.Name}")
            { ExpectedSchema = Contract.Name, Fingerprint = fingerprint };
        }
        throw new ContractException(ContractErrorReasons.UnknownSchema,
            $"Unknown writer schema fingerprint 0x{fingerprint:x16} on topic {Topic}: expected {Contract.Name} " +
            $"(fingerprint 0x{Contract.Fingerprint:x16}) or one of its {_history.Count} known earlier versions")
        { ExpectedSchema = Contract.Name, Fingerprint = fingerprint };
    }

    private T DecodeRegistered(int schemaId, ReadOnlySpan<byte> body)
    {
        if (_registry is null)
        {
            throw new ContractException(ContractErrorReasons.UnknownSchema,
                $"Record on topic {Topic} names schema registry id {schemaId}, but no schema registry is configured (Avro:SchemaRegistryUrl)")
            { ExpectedSchema = Contract.Name, SchemaId = schemaId };
        }

        if (!_registryPlans.TryGetValue(schemaId, out var plan))
        {
            plan = PlanFor(schemaId);
            _registryPlans.TryAdd(schemaId, plan);
        }

        return plan.Resolution is null ? Contract.DecodeBody(body) : Contract.DecodeBody(plan.Resolution.Rewrite(body, Contract.Name));
    }

    private WriterPlan PlanFor(int schemaId)
    {
        if (_schemaId is { IsValueCreated: true } && _schemaId.Value == schemaId) return WriterPlan.Current;

        var registered = CallRegistry(() => _registry!.GetSchemaAsync(schemaId), $"look up schema id {schemaId}", schemaId);
        if (registered.SchemaType != SchemaType.Avro) throw NotOurs($"a {registered.SchemaType} schema");

        RecordSchema writerSchema;
        try
        {
            writerSchema = Avro.Schema.Parse(registered.SchemaString) as RecordSchema ?? throw NotOurs("not an Avro record schema");
        }
        catch (SchemaParseException ex)
        {
            throw new ContractException(ContractErrorReasons.UnknownSchema,
                $"Schema registry id {schemaId} does not parse as Avro: {ex.Message}", ex) { ExpectedSchema = Contract.Name, SchemaId = schemaId };
        }

        if (writerSchema.Fullname != Contract.Name)
        {
            throw new ContractException(ContractErrorReasons.WrongType,
                $"Record with schema registry id {schemaId} is a {writerSchema.Fullname}, but topic {Topic} carries {Contract.Name}")
            { ExpectedSchema = Contract.Name, SchemaId = schemaId };
        }

        var fingerprint = SchemaFiles.FingerprintOf(writerSchema);
        if (fingerprint == Contract.Fingerprint) return WriterPlan.Current;
        // Any registered version of our record: the registry's compatibility check vouches that resolution works.
        return new WriterPlan(_history.GetValueOrDefault(fingerprint) ?? new SchemaResolution(writerSchema, Contract.Schema));

        ContractException NotOurs(string what) => new(ContractErrorReasons.UnknownSchema,
            $"Schema registry id {schemaId} is {what}, expected the Avro record {Contract.Name}") { ExpectedSchema = Contract.Name, SchemaId = schemaId };
    }

    private int ResolveOwnSchemaId()
    {
        var schema = new RegistrySchema(Contract.SchemaJson, SchemaType.Avro);
        var id = _autoRegister
            ? CallRegistry(() => _registry!.RegisterSchemaAsync(Subject, schema), $"register {Contract.Name} under {Subject}", null)
            : CallRegistry(() => _registry!.GetSchemaIdAsync(Subject, schema), $"look up {Contract.Name} under {Subject}", null);
        _registryPlans[id] = WriterPlan.Current;
        return id;
    }

    /// <summary>The codec API is synchronous (Kafka serdes are); registry calls happen once per schema and are cached.</summary>
    private TResult CallRegistry<TResult>(Func<Task<TResult>> call, string what, int? schemaId)
    {
        try
        {
            return call().GetAwaiter().GetResult();
        }
        catch (SchemaRegistryException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            throw new ContractException(ContractErrorReasons.UnknownSchema, $"Schema registry cannot {what}: {ex.Message}", ex)
            { ExpectedSchema = Contract.Name, SchemaId = schemaId };
        }
        catch (Exception ex) when (ex is not ContractException)
        {
            throw new ContractException(ContractErrorReasons.SchemaRegistry, $"Schema registry failed to {what}: {ex.Message}", ex)
            { ExpectedSchema = Contract.Name, SchemaId = schemaId };
        }
    }

    private ContractException Oversized(int bytes, string direction) =>
        new(ContractErrorReasons.Oversized,
            $"{Contract.Name} record of {bytes} bytes exceeds the {_maxRecordBytes}-byte limit on {direction} (Avro:MaxRecordBytes)")
        { ExpectedSchema = Contract.Name };

    private ContractException Malformed(string detail) =>
        new(ContractErrorReasons.MalformedAvro, $"Malformed {Contract.Name} record on topic {Topic}: {detail}") { ExpectedSchema = Contract.Name };

    public override string ToString() => $"{Contract.Name} on {Topic} ({(UsesSchemaRegistry ? "Confluent wire format" : "single-object encoding")})";

    /// <summary>How to decode a given writer schema: directly (null) or through schema resolution.</summary>
    private sealed record WriterPlan(SchemaResolution? Resolution)
    {
        public static WriterPlan Current { get; } = new((SchemaResolution?)null);
    }
}
