using Confluent.Kafka;

namespace WorkloadProfiles.Kafka;

/// <summary>
/// Whether the brokers answer at all, asked once at start-up without librdkafka's per-attempt logging, so a wrong
/// address or a broker that is not up yields one clear message instead of hundreds of connection errors.
/// </summary>
public static class BrokerReachability
{
    /// <summary>Default for <c>Kafka:StartupTimeoutSeconds</c>.</summary>
    public const double DefaultTimeoutSeconds = 30;

    /// <summary>At most this long past the timeout for librdkafka to say why no broker answered.</summary>
    private static readonly TimeSpan CauseWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Asks for cluster metadata until the brokers answer or <paramref name="timeout"/> passes. Returns null when they
    /// answered, else what librdkafka last said (e.g. "Connect to ipv4#127.0.0.1:9092 failed: Connection refused").
    /// </summary>
    public static async Task<string?> ProbeAsync(string bootstrapServers, IReadOnlyDictionary<string, string>? clientProperties,
        TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        RdkafkaPin.Ensure();
        var config = new AdminClientConfig { BootstrapServers = bootstrapServers, SocketConnectionSetupTimeoutMs = 5000 };
        foreach (var (key, value) in clientProperties ?? new Dictionary<string, string>()) config.Set(key, value);
        string? lastError = null;
        // librdkafka reports why a broker is unreachable (e.g. "Connection refused") on its own thread; a loaded machine can
        // deliver it after the metadata request has already timed out, so the end waits briefly for it (below).
        var causeReported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var admin = new AdminClientBuilder(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, error) =>
            {
                lastError = error.Reason;
                causeReported.TrySetResult();
            })
            .Build();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var left = deadline - DateTime.UtcNow;
            try
            {
                // GetMetadata blocks; run it off the caller's thread in short slices so cancellation is honoured.
                var slice = left < TimeSpan.FromSeconds(2) ? (left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(100)) : TimeSpan.FromSeconds(2);
                var metadata = await Task.Run(() => admin.GetMetadata(slice), cancellationToken);
                if (metadata.Brokers.Count > 0) return null;
            }
            catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_TimedOut)
            {
                // Says only that nothing answered in time; the cause comes from the error handler.
            }
            catch (KafkaException e)
            {
                lastError ??= e.Error.Reason;
            }

            if (DateTime.UtcNow >= deadline)
            {
                if (!causeReported.Task.IsCompleted) await Task.WhenAny(causeReported.Task, Task.Delay(CauseWait, cancellationToken));
                return lastError ?? "no broker answered";
            }
        }
    }

    /// <summary>The message for an unreachable cluster: what was tried, for how long, why, and which key sets it.</summary>
    public static string Describe(string bootstrapServers, TimeSpan timeout, string reason) =>
        $"cannot reach Kafka at {bootstrapServers} within {timeout.TotalSeconds:0} s ({reason}); is the broker running? " +
        "(Kafka:BootstrapServers, WP_Kafka__BootstrapServers; wait longer with Kafka:StartupTimeoutSeconds)";
}
