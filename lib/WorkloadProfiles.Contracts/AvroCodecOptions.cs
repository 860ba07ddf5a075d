namespace WorkloadProfiles.Contracts;

/// <summary>
/// How records are framed on Kafka. Bound from the <c>Avro</c> configuration section
/// (environment: <c>WP_Avro__SchemaRegistryUrl</c>, <c>WP_Avro__MaxRecordBytes</c>, <c>WP_Avro__AutoRegisterSchemas</c>).
/// </summary>
public sealed record AvroCodecOptions
{
    public const string SectionName = "Avro";

    /// <summary>8 MiB: well above a full raw event batch, well below what would hurt a consumer.</summary>
    public const int DefaultMaxRecordBytes = 8 * 1024 * 1024;

    /// <summary>
    /// Confluent Schema Registry URL(s), comma-separated. When set, values are written in the Confluent wire format
    /// (0x00 + 4-byte schema id); otherwise in Avro single-object encoding (0xC3 0x01 + 8-byte fingerprint).
    /// Readers accept both either way.
    /// </summary>
    public string? SchemaRegistryUrl { get; init; }

    /// <summary>Records (framing included) larger than this are refused on write and on read with reason <c>oversized</c>.</summary>
    public int MaxRecordBytes { get; init; } = DefaultMaxRecordBytes;

    /// <summary>Register the current schema under <c>&lt;topic&gt;-value</c> on first use; when false, it must already be registered.</summary>
    public bool AutoRegisterSchemas { get; init; } = true;

    public static AvroCodecOptions Default { get; } = new();
}
