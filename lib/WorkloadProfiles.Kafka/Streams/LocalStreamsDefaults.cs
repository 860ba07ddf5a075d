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
    /// How long a task waits for data on all its inputs before processing one of them, so a KTable side is read before
    /// the stream records that join against it.
    /// </summary>
    public const long MaxTaskIdleMs = 200;

    /// <summary>Applies the settings above to <paramref name="config"/> and returns it.</summary>
    public static T ApplyTo<T>(T config) where T : StreamConfig
    {
        config.SessionTimeoutMs = SessionTimeoutMs;
        config.HeartbeatIntervalMs = HeartbeatIntervalMs;
        config.MaxTaskIdleMs = MaxTaskIdleMs;
        return config;
    }
}
