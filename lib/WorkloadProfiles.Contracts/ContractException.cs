namespace WorkloadProfiles.Contracts;

/// <summary>Machine-readable reasons of a <see cref="ContractException"/>; they double as dead-letter reasons.</summary>
public static class ContractErrorReasons
{
    /// <summary>The writer schema (fingerprint or registry id) is not one this reader knows.</summary>
    public const string UnknownSchema = "unknown-schema";
    /// <summary>The bytes are not a valid Avro record of the announced schema (truncated, garbage, bad framing).</summary>
    public const string MalformedAvro = "malformed-avro";
    /// <summary>The record is larger than the configured maximum.</summary>
    public const string Oversized = "oversized";
    /// <summary>The record is a known contract, but not the one this codec reads (e.g. a snapshot on the raw event topic).</summary>
    public const string WrongType = "wrong-type";
    /// <summary>The domain value cannot be written (null in a required field, undefined enum value, invalid UTF-16).</summary>
    public const string InvalidValue = "invalid-value";
    /// <summary>The record is well-formed but holds a value this reader cannot represent (an enum's evolution default symbol).</summary>
    public const string UnsupportedValue = "unsupported-value";
    /// <summary>The schema registry could not be reached or refused the schema.</summary>
    public const string SchemaRegistry = "schema-registry";
}

/// <summary>A record could not be written or read under the Avro contract. <see cref="Reason"/> is one of <see cref="ContractErrorReasons"/>.</summary>
public sealed class ContractException : Exception
{
    public ContractException(string reason, string message, Exception? innerException = null)
        : base(message, innerException) => Reason = reason;

    /// <summary>One of <see cref="ContractErrorReasons"/>: stable, for dead-letter records and counters.</summary>
    public string Reason { get; }

    /// <summary>The schema the codec expected (full Avro name), when known.</summary>
    public string? ExpectedSchema { get; init; }

    /// <summary>The writer's CRC-64-AVRO fingerprint from a single-object header, when there was one.</summary>
    public ulong? Fingerprint { get; init; }

    /// <summary>The writer's schema registry id from a Confluent header, when there was one.</summary>
    public int? SchemaId { get; init; }
}
