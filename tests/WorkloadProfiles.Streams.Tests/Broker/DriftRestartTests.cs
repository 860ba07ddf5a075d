using Confluent.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Broker;

/// <summary>
/// Drift across a SIGKILL: wp-streams (snapshot job, drift on) against the broker command, killed after a commit while
/// drift keeps arriving and restarted. The drift signals must be those of a run never interrupted — none lost, no drift
/// raised twice under another id (the restored ledger remembers what each container's window already reported, the
/// restored lineage keeps learnt behaviour known), and a record redelivered after the kill repeats its signal byte for
/// byte, so consumers and the sink collapse it by signal id.
/// </summary>
public sealed class DriftRestartTests(ITestOutputHelper output)
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    static readonly PipelineCodecs Codecs = PipelineCodecs.From(AvroCodecs.Default);
    static readonly ContainerRef Learner = new("c-learn", "drifty", "1.0");
    const int Containers = 4, Steps = 24;

    [Fact]
    public async Task Drift_of_a_job_killed_mid_stream_and_restarted_equals_that_of_an_uninterrupted_run()
    {
        var (profile, first, second) = Workload();
        // Per container: a new name every third step (8), and one repeated name once per one-minute window (4).
        var expected = Containers * (Steps / 3 + Steps / 6);

        var uninterrupted = await RunAsync(profile, first, second, expected, kill: false);
        Assert.Equal(expected, uninterrupted.Count);
        Assert.All(uninterrupted.Values, records => Assert.Single(records));

        var restarted = await RunAsync(profile, first, second, expected, kill: true);
        Assert.Equal(uninterrupted.Keys.Order(), restarted.Keys.Order());
        Assert.All(restarted.Values, records => Assert.All(records, r => Assert.Equal(records[0], r)));
        output.WriteLine($"{restarted.Count} drift signals, {restarted.Values.Sum(r => r.Count) - restarted.Count} repeated by redelivery");
    }

    /// <summary>Runs the job over the workload; returns each drift signal id with every record written for it.</summary>
    async Task<Dictionary<string, List<string>>> RunAsync(SecurityProfile profile, IReadOnlyList<RawEventBatch> first,
        IReadOnlyList<RawEventBatch> second, int expected, bool kill)
    {
        await using var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(60));
        var stateDir = Path.Combine(Path.GetTempPath(), LocalKafkaBrokerFixture.UniqueName("wp-drift-restart-state"));
        var application = LocalKafkaBrokerFixture.UniqueName("wp-drift-restart");
        try
        {
            new BrokerControlClient(broker.ControlPort).CreateTopic(PipelineTopics.Profiles.Name, PipelineTopics.Profiles.Partitions);
            using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
            producer.Produce(PipelineTopics.Profiles.Name, new Message<string, byte[]> { Key = profile.Key.ToString(), Value = Codecs.Profiles.Serialize(profile) });
            RestartTests.Produce(producer, first);
            using var drift = new DriftSignals(broker.BootstrapServers);

            var streams = RestartTests.StartStreams(broker, application, stateDir, 1_000, out _, jobs: "snapshots");
            try
            {
                await Poll.UntilAsync(() => drift.Drain() > 0 && RestartTests.Committed(broker, application) > 0 || streams.HasExited,
                    Deadline, "first drift signals and a first commit");
                Assert.False(streams.HasExited, streams.Transcript);

                var cut = second.Count / 3;
                var before = drift.Drain();
                RestartTests.Produce(producer, second.Take(cut));
                await Poll.UntilAsync(() => drift.Drain() > before || streams.HasExited, Deadline, "drift from more input");
                Assert.False(streams.HasExited, streams.Transcript);
                if (kill)
                {
                    Assert.Equal(137, await streams.SignalAsync(CommandProcess.SigKill, TimeSpan.FromSeconds(10)));
                    output.WriteLine($"killed after {drift.Ids.Count} drift signals");
                    await streams.DisposeAsync();
                }

                RestartTests.Produce(producer, second.Skip(cut));
                if (kill)
                {
                    streams = RestartTests.StartStreams(broker, application, stateDir, 1_000, out _, jobs: "snapshots");
                }

                await Poll.UntilAsync(() => { drift.Drain(); return drift.Ids.Count >= expected || streams.HasExited; }, Deadline,
                    $"{expected} drift signals");
                Assert.False(streams.HasExited, streams.Transcript);
                var exit = await streams.SignalAsync(CommandProcess.SigTerm, TimeSpan.FromSeconds(60));
                Assert.True(exit == 0, $"wp-streams exited with {exit} on SIGTERM:\n{streams.Transcript}");
                drift.Drain();
                return drift.Ids;
            }
            finally
            {
                await streams.DisposeAsync();
            }
        }
        finally
        {
            if (Directory.Exists(stateDir)) Directory.Delete(stateDir, recursive: true);
        }
    }

    /// <summary>
    /// A Stable profile of an image whose server execs, reads its config and resolves its API; four containers of the image
    /// doing that for four one-minute windows, batches every 10 s of event time, plus a name never seen every third step
    /// and one unknown name at every step (one drift per window). The first half is produced before the job starts.
    /// </summary>
    static (SecurityProfile Profile, IReadOnlyList<RawEventBatch> First, IReadOnlyList<RawEventBatch> Second) Workload()
    {
        static RawEvent[] Normal(long at) =>
        [
            Open(at, 1, "/etc/server.conf", comm: "server"),
            Dns(at + 1, 1, "api.internal", comm: "server"),
        ];

        var learn = new SnapshotBuilder(Learner, "node-1", 0, 60_000_000);
        learn.Add(Exec(1, 1, "/usr/bin/server", "server", "--port", "8080"));
        learn.AddRange(Normal(2));
        var aggregate = new ProfileAggregate(Learner.ProfileKey!.Value, ProfilePolicy.Default with { StableSnapshotCount = 1 });
        aggregate.Merge(learn.Build(), 1);
        var profile = aggregate.ToProfile();

        var batches = new List<(long At, RawEventBatch Batch)>();
        for (var c = 0; c < Containers; c++)
        {
            var container = Learner with { Id = $"c-drifty-{c}" };
            for (var step = 0; step < Steps; step++)
            {
                var at = Minutes(step / 6.0) + c * 1_000_000L;
                var events = new List<RawEvent>();
                if (step == 0) events.Add(Exec(at, 1, "/usr/bin/server", "server", "--port", "8080"));
                events.AddRange(Normal(at + 10));
                events.Add(Dns(at + 20, 1, "repeat.drift.example", comm: "server"));
                if (step % 3 == 0) events.Add(Dns(at + 21, 1, $"c{c}-s{step}.drift.example", comm: "server"));
                batches.Add((at, Batch(container, [.. events])));
            }
        }

        var ordered = batches.OrderBy(b => b.At).Select(b => b.Batch).ToList();
        return (profile, ordered[..(ordered.Count / 2)], ordered[(ordered.Count / 2)..]);
    }

    /// <summary>The drift signals on <c>wp.signals</c>: each id with the records written for it.</summary>
    sealed class DriftSignals : IDisposable
    {
        readonly IConsumer<string, byte[]> _consumer;

        public DriftSignals(string bootstrap)
        {
            _consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = LocalKafkaBrokerFixture.UniqueName("drift-verify"),
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
            }).Build();
            _consumer.Subscribe(PipelineTopics.Signals.Name);
        }

        public Dictionary<string, List<string>> Ids { get; } = new(StringComparer.Ordinal);

        public int Drain()
        {
            while (_consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } record)
            {
                var signal = Codecs.Signals.Deserialize(record.Message.Value);
                if (!DriftRules.IsDrift(signal.RuleId)) continue;
                if (!Ids.TryGetValue(signal.SignalId, out var records)) Ids[signal.SignalId] = records = [];
                records.Add(Convert.ToBase64String(record.Message.Value));
            }

            return Ids.Count;
        }

        public void Dispose() => _consumer.Close();
    }
}
