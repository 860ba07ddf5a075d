using WorkloadProfiles.Domain;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// The sizes the jobs hold records to (configuration <c>Kafka:MaxMessageBytes</c>, <c>DeadLetter:MaxBytes</c>). A job
/// never produces a record the broker would refuse — a refused produce fails the stream thread, and a record that fails
/// every time would fail it again after every restart — and never takes in a record whose state it could not write.
/// </summary>
public sealed record RecordLimits
{
    /// <summary>Kafka's default <c>max.message.bytes</c> is 1 MiB (1,048,588); librdkafka's producer default is 1,000,000.</summary>
    public const int DefaultMaxMessageBytes = 1_000_000;

    /// <summary>Room kept in every record for its key, headers and framing, so the value alone is checked.</summary>
    public const int KeyRoom = 4_096;

    /// <summary>The largest record any job writes (key and value); at or below the topics' <c>max.message.bytes</c>.</summary>
    public int MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    public DeadLetterBound DeadLetters { get; init; } = DeadLetterBound.Default;

    /// <summary>
    /// The largest value a job writes, and the largest it takes in: a larger input is dead-lettered as <c>oversized</c>,
    /// since the state it would leave (a journaled batch, a stored profile) could not be written to its changelog.
    /// </summary>
    public int MaxValueBytes => MaxMessageBytes - KeyRoom;

    /// <summary>Longest input key taken in (keys travel into state store keys and output keys).</summary>
    public int MaxKeyBytes => KeyRoom / 4;

    public static RecordLimits Default { get; } = new();

    /// <exception cref="ArgumentException">The bounds contradict each other.</exception>
    public void Validate()
    {
        if (MaxMessageBytes < 64 * 1024)
        {
            throw new ArgumentException($"Kafka:MaxMessageBytes must be at least 65536, not {MaxMessageBytes}.");
        }

        if (DeadLetters.MaxBytes > MaxValueBytes)
        {
            throw new ArgumentException(
                $"DeadLetter:MaxBytes ({DeadLetters.MaxBytes}) must leave {KeyRoom} bytes of Kafka:MaxMessageBytes ({MaxMessageBytes}) for the key.");
        }
    }
}
