using Streamiz.Kafka.Net;

namespace WorkloadProfiles.Kafka.Streams;

/// <summary>Streamiz settings that matter against the local (mock-cluster) broker.</summary>
public static class LocalStreamsDefaults
{
    /// <summary>
    /// Streamiz does not leave its group on close, so a restarted application waits out the old member's session before
    /// it gets partitions back; Kafka's 45 s default makes every restart that slow.
    /// </summary>
    public const int SessionTimeoutMs = 6000;

    /// <summary>Heartbeats must come well within the session timeout.</summary>
    public const int HeartbeatIntervalMs = 2000;

    /// <summary>
    /// The mock cluster holds a fetch that finds no data for the whole <c>fetch.wait.max.ms</c> (librdkafka's default
    /// 500 ms), even when records arrive meanwhile; a real broker answers as soon as they do. Every hop of the pipeline
    /// (raw → detection → signals → enrichment) would wait up to that long, so the consumers ask for a short wait here.
    /// </summary>
    public const int FetchWaitMaxMs = 10;

    /// <summary>Applies the settings above to <paramref name="config"/> and returns it.</summary>
    public static T ApplyTo<T>(T config) where T : StreamConfig
    {
        config.SessionTimeoutMs = SessionTimeoutMs;
        config.HeartbeatIntervalMs = HeartbeatIntervalMs;
        config.FetchWaitMaxMs = FetchWaitMaxMs;
        return config;
    }
}
