namespace WorkloadProfiles.Domain;

/// <summary>
/// The value of <c>wp.deadletter</c> (key = source topic): a record a consumer could not process, kept whole with the reason,
/// so nothing is silently dropped.
/// </summary>
public sealed record DeadLetter
{
    public required string SourceTopic { get; init; }
    public int Partition { get; init; } = -1;
    public long Offset { get; init; } = -1;
    public byte[]? Key { get; init; }
    public byte[]? Value { get; init; }
    /// <summary>A short machine-readable reason code, e.g. <c>malformed-avro</c>, <c>unknown-schema</c>, <c>oversized</c>, <c>image-unresolved</c>, <c>clickhouse-rejected</c>.</summary>
    public required string Reason { get; init; }
    /// <summary>The human-readable detail (exception message, limits).</summary>
    public string Detail { get; init; } = "";
    /// <summary>Which component dead-lettered it (snapshot job, sink, …).</summary>
    public required string Consumer { get; init; }
    public required long TimestampUs { get; init; }
}
