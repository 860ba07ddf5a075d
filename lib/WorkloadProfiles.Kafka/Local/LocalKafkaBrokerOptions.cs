namespace WorkloadProfiles.Kafka.Local;

/// <summary>How a <see cref="LocalKafkaBroker"/> is laid out.</summary>
public sealed class LocalKafkaBrokerOptions
{
    /// <summary>
    /// Loopback port clients connect to; 0 (the default) lets the mock cluster pick a free one. With several brokers,
    /// broker <c>n</c> listens on <c>Port + n - 1</c>.
    /// </summary>
    public int Port { get; set; }

    /// <summary>Number of brokers in the cluster.</summary>
    public int BrokerCount { get; set; } = 1;

    /// <summary>
    /// Milliseconds a new consumer group waits for more members before the first assignment. 0 suits tests and a
    /// single-member local pipeline; Kafka's default of 3000 only slows them down.
    /// </summary>
    public int GroupInitialRebalanceDelayMs { get; set; }

    /// <summary>Topics created at start; the pipeline's topics unless told otherwise.</summary>
    public IReadOnlyList<TopicLayout> Topics { get; set; } = TopicLayout.Pipeline;
}
