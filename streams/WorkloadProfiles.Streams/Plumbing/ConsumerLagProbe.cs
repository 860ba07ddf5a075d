using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// Measures the stream application's consumer lag — per source partition, the high watermark minus the offset the
/// application's group committed — and publishes it as <c>wp_streams_consumer_lag</c>. Streamiz does not expose lag, and
/// librdkafka's statistics only cover partitions a consumer currently owns, so the probe asks the broker directly with a
/// consumer that uses the group id without joining the group.
/// </summary>
public sealed class ConsumerLagProbe : IDisposable
{
    readonly IConsumer<byte[], byte[]> _consumer;
    readonly IReadOnlyList<string> _topics;
    readonly StreamsMetrics _metrics;
    readonly ILogger _log;
    readonly TimeSpan _timeout;

    /// <param name="topics">The application's source topics (not global-store topics, which no group consumes).</param>
    public ConsumerLagProbe(string bootstrapServers, string applicationId, IReadOnlyList<string> topics, StreamsMetrics metrics,
        ILogger? log = null, TimeSpan? timeout = null)
    {
        _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = applicationId,
            EnableAutoCommit = false,
        }).LogTo(log ?? NullLogger.Instance).Build();
        _topics = topics;
        _metrics = metrics;
        _log = log ?? NullLogger.Instance;
        _timeout = timeout ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>Measures once and updates the gauges; returns the lag per partition. Throws <see cref="KafkaException"/>
    /// when the broker cannot answer (the gauges keep their last values).</summary>
    public IReadOnlyDictionary<TopicPartition, long> Measure()
    {
        var partitions = new List<TopicPartition>();
        using (var admin = new DependentAdminClientBuilder(_consumer.Handle).Build())
        {
            var topics = admin.GetMetadata(_timeout).Topics;
            foreach (var topic in topics.Where(t => _topics.Contains(t.Topic)))
            {
                partitions.AddRange(topic.Partitions.Select(p => new TopicPartition(topic.Topic, p.PartitionId)));
            }
        }

        var committed = _consumer.Committed(partitions, _timeout).ToDictionary(c => c.TopicPartition, c => c.Offset);
        var lag = new Dictionary<TopicPartition, long>();
        foreach (var partition in partitions)
        {
            var watermarks = _consumer.QueryWatermarkOffsets(partition, _timeout);
            // Nothing committed yet: everything still retained is unconsumed.
            var position = committed.TryGetValue(partition, out var offset) && offset.Value >= 0 ? offset.Value : watermarks.Low.Value;
            lag[partition] = Math.Max(0, watermarks.High.Value - position);
            _metrics.ConsumerLag.WithLabels(partition.Topic, partition.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Set(lag[partition]);
        }

        return lag;
    }

    /// <summary>Measures every <paramref name="interval"/> until cancelled; a failed measurement is logged and retried.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await Task.Run(Measure, cancellationToken);
            }
            catch (KafkaException e)
            {
                _log.LogWarning("consumer lag not measured: {Reason}", e.Error.Reason);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    public void Dispose() => _consumer.Dispose();
}
