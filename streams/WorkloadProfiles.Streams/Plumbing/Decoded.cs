using WorkloadProfiles.Contracts;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// The outcome of decoding one record value. Source serdes never throw: a record that fails to decode reaches the
/// processor as a failure carrying its raw bytes and reason, and the processor dead-letters it and moves on
/// (Streamiz' own deserialization handler could only fail the task or drop the record).
/// </summary>
/// <remarks>
/// Decoding is deferred to the first read of <see cref="Value"/> or the failure fields. Streamiz deserializes every
/// record twice — once to hand the timestamp extractor a typed record, once in the source node — and only the second
/// one is ever read, so a lazy value halves the decode cost of every job (the dominant per-record cost).
/// Not thread-safe; a record is processed by one stream thread.
/// </remarks>
public sealed class Decoded<T> where T : class
{
    IAvroCodec<T>? _codec;
    T? _value;
    string? _reason;
    string? _detail;

    internal Decoded(IAvroCodec<T>? codec, byte[]? raw)
    {
        _codec = codec;
        Raw = raw;
    }

    /// <summary>The decoded value; null for a tombstone or a failure.</summary>
    public T? Value
    {
        get
        {
            Decode();
            return _value;
        }
    }

    /// <summary>The bytes as they came off the topic (kept so a dead letter holds the record whole).</summary>
    public byte[]? Raw { get; }

    /// <summary>Machine-readable reason code when decoding failed (e.g. <c>malformed-avro</c>), else null.</summary>
    public string? FailureReason
    {
        get
        {
            Decode();
            return _reason;
        }
    }

    public string? FailureDetail
    {
        get
        {
            Decode();
            return _detail;
        }
    }

    public bool IsFailure => FailureReason is not null;

    /// <summary>A null value: a delete on a compacted topic.</summary>
    public bool IsTombstone => Raw is null && _reason is null;

    void Decode()
    {
        if (_codec is not { } codec)
        {
            return;
        }

        _codec = null;
        try
        {
            _value = codec.Deserialize(Raw!);
        }
        catch (ContractException e)
        {
            (_reason, _detail) = (e.Reason, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            (_reason, _detail) = (Decoded.UnclassifiedReason, $"{e.GetType().Name}: {e.Message}");
        }
    }
}

/// <summary>Factories of <see cref="Decoded{T}"/>.</summary>
public static class Decoded
{
    /// <summary>Reason for a failure the codec did not classify (a bug in a codec rather than bad input).</summary>
    public const string UnclassifiedReason = "undecodable";

    public static Decoded<T> Tombstone<T>() where T : class => new(null, null);

    /// <summary>Bytes decoded by <paramref name="codec"/> on first read.</summary>
    public static Decoded<T> Lazy<T>(IAvroCodec<T> codec, byte[] raw) where T : class => new(codec, raw);
}
