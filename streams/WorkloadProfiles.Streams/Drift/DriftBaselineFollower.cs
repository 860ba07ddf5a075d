using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Drift;

/// <summary>
/// Reads the compacted <c>wp.profiles</c> topic from the beginning into <see cref="DriftBaselines"/> and keeps following
/// it, like a global store: every partition assigned, no group commits. <see cref="CaughtUp"/> completes once every
/// partition has been read to the end it had at start, and the host starts the stream jobs only then, so no event after
/// a restart is judged without the baselines it had before.
/// </summary>
/// <remarks>Streamiz cannot read one topic both as a stream (the enrichment job) and as a global store.</remarks>
public sealed class DriftBaselineFollower(
    string bootstrapServers,
    IAvroCodec<SecurityProfile> codec,
    DriftBaselines baselines,
    StreamsMetrics metrics,
    ILogger? log = null)
{
    static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    readonly ILogger _log = log ?? NullLogger.Instance;
    readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the table is loaded as it was at start; faults if the topic cannot be read.</summary>
    public Task CaughtUp => _caughtUp.Task;

    public Task RunAsync(CancellationToken cancellationToken) => Task.Factory.StartNew(() =>
    {
        try
        {
            Follow(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _caughtUp.TrySetCanceled(cancellationToken);
        }
        catch (Exception e) when (e is KafkaException)
        {
            _caughtUp.TrySetException(e);
            throw;
        }
    }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    void Follow(CancellationToken cancellationToken)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"wp-streams-drift-baselines-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();

        var topic = PipelineTopics.Profiles.Name;
        var partitions = new List<TopicPartition>();
        using (var admin = new DependentAdminClientBuilder(consumer.Handle).Build())
        {
            var metadata = admin.GetMetadata(topic, MetadataTimeout).Topics.SingleOrDefault(t => t.Topic == topic);
            if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
            {
                throw new KafkaException(metadata?.Error ?? new Error(ErrorCode.UnknownTopicOrPart, $"{topic} has no partitions"));
            }

            partitions.AddRange(metadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)));
        }

        // The end of each partition at start: reading up to it is "caught up".
        var pending = new Dictionary<TopicPartition, long>();
        foreach (var partition in partitions)
        {
            var high = consumer.QueryWatermarkOffsets(partition, MetadataTimeout).High.Value;
            if (high > 0)
            {
                pending[partition] = high;
            }
        }

        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        if (pending.Count == 0)
        {
            Loaded();
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var result = pending.Count > 0 ? consumer.Consume(TimeSpan.FromMilliseconds(200)) : consumer.Consume(cancellationToken);
            if (result is not null)
            {
                Apply(result);
            }

            if (pending.Count > 0)
            {
                // By position, not by the last record: compaction may have removed the records just before the end.
                foreach (var (partition, end) in pending.ToList())
                {
                    if (consumer.Position(partition).Value >= end)
                    {
                        pending.Remove(partition);
                    }
                }

                if (pending.Count == 0)
                {
                    Loaded();
                }
            }
        }
    }

    void Loaded()
    {
        _log.LogInformation("drift baselines loaded: {Count} profiles watched, {Bytes} bytes", baselines.Count, baselines.MemoryBytes);
        _caughtUp.TrySetResult();
    }

    void Apply(ConsumeResult<string, byte[]> result)
    {
        if (result.Message.Value is null)
        {
            baselines.Remove(result.Message.Key);
        }
        else
        {
            try
            {
                baselines.Apply(codec.Deserialize(result.Message.Value));
            }
            catch (ContractException e)
            {
                // A table topic: dead-lettering it would repeat on every start. Counted and skipped, as the global tables do.
                metrics.SkippedRecords.WithLabels("drift-baselines", e.Reason).Inc();
                _log.LogWarning("drift baselines: skipping the unreadable profile at {Offset}: {Reason}", result.TopicPartitionOffset, e.Message);
                return;
            }
        }

        metrics.DriftBaselines.Set(baselines.Count);
        metrics.DriftBaselineBytes.Set(baselines.MemoryBytes);
    }
}
