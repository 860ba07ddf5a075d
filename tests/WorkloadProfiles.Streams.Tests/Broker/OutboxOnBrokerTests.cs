using Confluent.Kafka;
using Prometheus;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Streams.Snapshots;
using WorkloadProfiles.Testing;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Broker;

/// <summary>
/// The snapshot job keeps each output in its store until commits have delivered it (<see cref="Outbox"/>): on a real
/// Streamiz stream the task store's flushes must be counted, and the outbox must empty once the snapshot is out.
/// </summary>
public sealed class OutboxOnBrokerTests
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_sent_snapshot_leaves_the_outbox_once_commits_have_delivered_it()
    {
        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Topics = TopicLayout.Pipeline });
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        var metrics = new StreamsMetrics(Metrics.NewCustomRegistry());
        var pipeline = new PipelineTopology(new StreamsJobOptions { Jobs = StreamJobs.Snapshots }, codecs, metrics);
        using var stream = await RunningPipeline.StartAsync(broker, pipeline, "wp-outbox", Deadline);

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
        var batch = Batch(Web1, [.. NginxStart(Minutes(1)), ContainerExit(Minutes(2))]);
        await producer.ProduceAsync(PipelineTopics.RawEvents.Name, new Message<string, byte[]>
        {
            Key = Web1.Id,
            Value = codecs.Batches.Serialize(batch),
            Timestamp = new Timestamp(Minutes(2) / 1000, TimestampType.CreateTime),
        });

        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = LocalKafkaBrokerFixture.UniqueName("verify"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(PipelineTopics.Snapshots.Name);
        ActivitySnapshot? snapshot = null;
        await Poll.UntilAsync(() => (snapshot = consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record
            ? codecs.Snapshots.Deserialize(record.Message.Value) : null) is not null, Deadline, "the container's snapshot");
        Assert.Equal(ActivitySnapshot.MakeId(Web1.Id, Minutes(0)), snapshot!.SnapshotId);

        // The close put the snapshot in the outbox; the commit after it (every 200 ms here) flushes the task store, and
        // the next punctuation deletes the entry.
        var pending = metrics.OutboxPending.WithLabels("snapshots");
        await Poll.UntilAsync(() => pending.Value == 0, Deadline, "the outbox to empty");
        var flushes = Enumerable.Range(0, Topics.DefaultPartitions).Sum(p => pipeline.Commits.Count(SnapshotWindowProcessor.StoreName, p));
        Assert.True(flushes >= 1, $"task store flushes counted: {flushes}");
        Assert.Equal(0, metrics.OutboxResent.WithLabels("snapshots").Value);
    }
}
