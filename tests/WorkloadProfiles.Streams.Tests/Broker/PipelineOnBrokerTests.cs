using Confluent.Kafka;
using Streamiz.Kafka.Net;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Streams.Tests.Topology;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Broker;

/// <summary>
/// The whole pipeline as a real <see cref="KafkaStream"/> against the local broker (librdkafka's mock cluster speaking the
/// Kafka protocol), fed and read by separate Confluent.Kafka clients.
/// </summary>
public sealed class PipelineOnBrokerTests(ITestOutputHelper output)
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Raw_events_become_snapshots_profiles_and_enriched_signals_with_suggestions()
    {
        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Topics = TopicLayout.Pipeline });
        broker.CreateTopic("wp.falco", Topics.DefaultPartitions);
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        var options = new StreamsJobOptions
        {
            Enrichment = new EnrichmentOptions { Policy = new SuggestionPolicy { MinLearningSnapshots = 2 } },
        };
        using var stream = await RunningPipeline.StartAsync(broker, options, codecs, "wp-it", Deadline);

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
        async Task Send(RawEventBatch batch) => await producer.ProduceAsync(PipelineTopics.RawEvents.Name,
            new Message<string, byte[]>
            {
                Key = batch.Container.Id,
                Value = codecs.Batches.Serialize(batch),
                Timestamp = new Timestamp(batch.Events[^1].TimestampUs / 1000, TimestampType.CreateTime),
            });

        // Two containers of nginx 1.27 run the same behaviour (a shell from nginx) and exit: two snapshots, one profile.
        foreach (var (container, start) in new[] { (Web1, Minutes(1)), (Web2, Minutes(2)) })
        {
            await Send(Batch(container, [.. NginxStart(start), .. ShellFrom(start + 100)]));
        }

        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = LocalKafkaBrokerFixture.UniqueName("verify"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe([PipelineTopics.Snapshots.Name, PipelineTopics.Profiles.Name, PipelineTopics.EnrichedSignals.Name]);

        var snapshots = new List<ActivitySnapshot>();
        SecurityProfile? profile = null;
        var enriched = new List<EnrichedSignal>();
        void Drain()
        {
            while (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } record)
            {
                if (record.Topic == PipelineTopics.Snapshots.Name) snapshots.Add(codecs.Snapshots.Deserialize(record.Message.Value));
                else if (record.Topic == PipelineTopics.Profiles.Name) profile = codecs.Profiles.Deserialize(record.Message.Value);
                else enriched.Add(codecs.EnrichedSignals.Deserialize(record.Message.Value));
            }
        }

        // The shells ran before any profile existed: enriched with "profile: none". The exits (which form the profile) go
        // out only once both are enriched: enrichment joins a signal with the profile as it stands when the signal is
        // processed, so with the exits sent at once the second shell could meet the first container's profile.
        await Poll.UntilAsync(() => { Drain(); return enriched.Count(e => e.Signal.RuleId == "wp.shell-in-container") >= 2; },
            Deadline, "the first shell signals");
        Assert.All(enriched, e => Assert.Null(e.Profile));
        foreach (var (container, start) in new[] { (Web1, Minutes(1)), (Web2, Minutes(2)) })
        {
            await Send(Batch(container, ContainerExit(start + 200)));
        }

        await Poll.UntilAsync(() => { Drain(); return profile?.SnapshotCount == 2; }, Deadline, "a profile merged from both snapshots");
        Assert.Equal([ActivitySnapshot.MakeId(Web1.Id, Minutes(0)), ActivitySnapshot.MakeId(Web2.Id, Minutes(0))],
            snapshots.Select(s => s.SnapshotId).Order(StringComparer.Ordinal));
        Assert.All(snapshots, s => Assert.True(s.ClosedByExit));
        Assert.Equal(new ProfileKey("nginx", "1.27"), profile!.Key);
        Assert.Equal(ProfileStatus.Learning, profile.Status);
        Assert.Equal(1.0, profile.Commonality);

        // A third container does the same: now the profile knows the behaviour and suggests suppressing it.
        var web3 = new ContainerRef("c-web-3", "nginx", "1.27");
        await Send(Batch(web3, [.. NginxStart(Minutes(5)), .. ShellFrom(Minutes(5) + 100)]));
        await Poll.UntilAsync(() => { Drain(); return enriched.Any(e => e.Profile is not null); }, Deadline, "a signal enriched with the profile");

        var withProfile = enriched.Single(e => e.Profile is not null && e.Signal.RuleId == "wp.shell-in-container");
        output.WriteLine($"enriched: {withProfile.Profile} suggestion: {withProfile.Suggestion}");
        Assert.Equal(web3, withProfile.Signal.Container);
        Assert.Equal(2, withProfile.Profile!.SnapshotCount);
        Assert.True(withProfile.Profile.BehaviourInProfile);
        Assert.Equal(1.0, withProfile.Profile.NodeCommonality);
        Assert.NotNull(withProfile.Suggestion);
        Assert.Equal("wp.shell-in-container", withProfile.Suggestion.RuleId);
        Assert.Equal("nginx", withProfile.Suggestion.ImageName);
    }

    static RawEvent[] ShellFrom(long ts) =>
    [
        new RawEvent { Kind = EventKind.Fork, TimestampUs = ts, Pid = 1, ChildPid = 7, Comm = "nginx" },
        Exec(ts + 1, 7, "/bin/sh", "sh", "-c", "date"),
    ];
}
