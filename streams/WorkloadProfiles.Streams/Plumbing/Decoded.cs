namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// The outcome of decoding one record value. Source serdes never throw: a record that fails to decode reaches the
/// processor as a failure carrying its raw bytes and reason, and the processor dead-letters it and moves on
/// (Streamiz' own deserialization handler could only fail the task or drop the record).
/// </summary>
public readonly struct Decoded<T> where T : class
{
    internal Decoded(T? value, byte[]? raw, string? reason, string? detail)
    {
        Value = value;
        Raw = raw;
        FailureReason = reason;
        FailureDetail = detail;
    }

    /// <summary>The decoded value; null for a tombstone or a failure.</summary>
    public T? Value { get; }

    /// <summary>The bytes as they came off the topic (kept so a dead letter holds the record whole).</summary>
    public byte[]? Raw { get; }

    /// <summary>Machine-readable reason code when decoding failed (e.g. <c>malformed-avro</c>), else null.</summary>
    public string? FailureReason { get; }

    public string? FailureDetail { get; }

    public bool IsFailure => FailureReason is not null;

    /// <summary>A null value: a delete on a compacted topic.</summary>
    public bool IsTombstone => Raw is null && FailureReason is null;
}

/// <summary>Factories of <see cref="Decoded{T}"/>.</summary>
public static class Decoded
{
    public static Decoded<T> Success<T>(T value, byte[] raw) where T : class => new(value, raw, null, null);

    public static Decoded<T> Tombstone<T>() where T : class => new(null, null, null, null);

    public static Decoded<T> Failure<T>(byte[]? raw, string reason, string detail) where T : class => new(null, raw, reason, detail);
}
