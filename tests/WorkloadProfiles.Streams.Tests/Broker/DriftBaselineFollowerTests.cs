using Confluent.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Streams.Drift;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Streams.Tests.Broker;

/// <summary>The drift baselines follow wp.profiles on a real broker: loaded before the jobs start, updated after.</summary>
public sealed class DriftBaselineFollowerTests
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    static SecurityProfile Profile(string tag, ProfileStatus status) => new()
    {
        Key = new ProfileKey("nginx", tag),
        Status = status,
        SnapshotCount = 3,
        Nodes = [],
        SnapshotIds = ["s-1"],
        ContainerIds = ["c-1"],
        HostNames = ["h-1"],
    };

    [Fact]
    public async Task Profiles_there_at_start_are_loaded_before_it_reports_ready_and_later_ones_follow()
    {
        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Topics = TopicLayout.Pipeline });
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
        async Task Produce(SecurityProfile profile) =>
            await producer.ProduceAsync(PipelineTopics.Profiles.Name, new Message<string, byte[]> { Key = profile.Key.ToString(), Value = codecs.Profiles.Serialize(profile) });
        await Produce(Profile("1.26", ProfileStatus.Stable));
        await Produce(Profile("1.27", ProfileStatus.Learning));

        var metrics = new StreamsMetrics(Prometheus.Metrics.NewCustomRegistry());
        var baselines = new DriftBaselines(DriftPolicy.Default);
        var follower = new DriftBaselineFollower(broker.BootstrapServers, codecs.Profiles, baselines, metrics);
        using var stop = new CancellationTokenSource();
        var following = follower.RunAsync(stop.Token);
        await follower.CaughtUp.WaitAsync(Deadline);
        Assert.True(baselines.TryGet(new ProfileKey("nginx", "1.26"), out _));
        Assert.False(baselines.TryGet(new ProfileKey("nginx", "1.27"), out _)); // Learning: not watched

        // 1.27 turns Stable after the start; 1.26 is deleted (a tombstone).
        await Produce(Profile("1.27", ProfileStatus.Stable));
        await producer.ProduceAsync(PipelineTopics.Profiles.Name, new Message<string, byte[]> { Key = "nginx@1.26", Value = null! });
        await Poll.UntilAsync(() => baselines.TryGet(new ProfileKey("nginx", "1.27"), out _) && !baselines.TryGet(new ProfileKey("nginx", "1.26"), out _),
            Deadline, "1.27 watched and 1.26 gone");
        Assert.Equal(1, metrics.DriftBaselines.Value);

        await stop.CancelAsync();
        await following.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
