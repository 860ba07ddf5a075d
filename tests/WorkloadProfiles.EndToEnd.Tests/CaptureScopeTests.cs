using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Local;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>
/// Capture scopes with the real parts: the live agent (<c>wp-agent</c>, eBPF) and the stream jobs (<c>wp-streams</c>:
/// snapshots and detection) as separate processes on the local broker, and podman containers. Detection covers every
/// container; the profiling slots decide only which containers' activity forms snapshots.
/// </summary>
public sealed class CaptureScopeTests(ITestOutputHelper output)
{
    const string Image = "localhost/wp-scope";
    static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);
    static readonly AvroCodecs Codecs = AvroCodecs.Default;
    const string Idle = "while true; do sleep 1; done";

    [SkippableFact]
    public async Task With_one_slot_every_container_raises_signals_and_only_the_profiled_one_forms_snapshots()
    {
        var unavailable = DemoWorkload.Unavailable();
        Skip.If(unavailable is not null, unavailable);
        var run = Guid.NewGuid().ToString("N")[..8];
        var (learning, stable) = ($"learn-{run}", $"stable-{run}");
        var work = Directory.CreateTempSubdirectory("wp-scope-").FullName;

        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Port = LocalBrokerProcess.FreePort(), Topics = TopicLayout.Pipeline });
        using var control = BrokerControlServer.Start(LocalBrokerProcess.FreePort(), broker, NullLogger.Instance);
        broker.CreateTopic("wp.falco", Topics.DefaultPartitions);
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            // One of the two images already has a Stable profile: the agent must not profile it, detection must watch it.
            var key = new ProfileKey(Image, stable);
            var profile = new SecurityProfile { Key = key, Status = ProfileStatus.Stable, SnapshotCount = 200, Nodes = [], SnapshotIds = [], ContainerIds = [], HostNames = [] };
            await producer.ProduceAsync(Topics.Profiles, new Message<string, byte[]> { Key = key.ToString(), Value = Codecs.For<SecurityProfile>().Serialize(profile) });
        }

        await using var workload = await DemoWorkload.StartAsync("wp-scope", CancellationToken.None);
        await workload.ImportImageAsync(Image, learning, CancellationToken.None);
        await workload.ImportImageAsync(Image, stable, CancellationToken.None);
        string[] learners = [await workload.StartContainerAsync(Image, learning, Idle, CancellationToken.None),
                             await workload.StartContainerAsync(Image, learning, Idle, CancellationToken.None)];
        var stableOne = await workload.StartContainerAsync(Image, stable, Idle, CancellationToken.None);
        string[] all = [.. learners, stableOne];

        var application = "wp-scope-" + run;
        var environment = new Dictionary<string, string>
        {
            ["WP_Kafka__BootstrapServers"] = broker.BootstrapServers,
            ["WP_Kafka__LocalBrokerControlPort"] = control.Port.ToString(CultureInfo.InvariantCulture),
            ["WP_Streams__ApplicationId"] = application,
            ["WP_Streams__StateDir"] = Path.Combine(work, "state"),
            ["WP_Streams__Jobs"] = "snapshots,detection",
            ["WP_Streams__CommitIntervalMs"] = "200",
            ["WP_Http__Port"] = LocalBrokerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["WP_Agent__ContainerRuntimeEndpoint"] = workload.Endpoint,
            ["WP_Agent__MaxProfiledContainers"] = "1",
            ["WP_Agent__SessionLength"] = "01:00:00",
            ["WP_Agent__ImageFilter"] = $"^{Image}@(learn|stable)-{run}$",
            ["WP_Agent__HostName"] = "scope-host",
        };
        await using var streams = ChildProcess.Start("stream jobs", "streams/WorkloadProfiles.Streams.Host", "wp-streams.dll", [], environment,
            Path.Combine(work, "wp-streams.log"));
        // The agent as it ships (native) when CI published it, else the JIT build.
        output.WriteLine($"agent: {NativeAgent.Path ?? "JIT build (wp-agent.dll)"}");
        await using var agent = NativeAgent.Path is { } native
            ? ChildProcess.StartExecutable("agent", native, ["run"], environment, Path.Combine(work, "wp-agent.log"))
            : ChildProcess.Start("agent", "agent/WorkloadProfiles.Agent", "wp-agent.dll", ["run"], environment, Path.Combine(work, "wp-agent.log"));

        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            GroupId = "verify-" + run,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe([Topics.Containers, Topics.Signals, Topics.Snapshots, Topics.EventsRaw]);
        var containers = new List<ContainerInfo>();
        var signals = new List<SecuritySignal>();
        var snapshots = new List<ActivitySnapshot>();
        var exited = new HashSet<string>();
        void Drain()
        {
            Assert.False(agent.HasExited || streams.HasExited, $"a child exited: agent {agent.Tail()}\nstreams {streams.Tail()}");
            while (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { } record)
            {
                var value = record.Message.Value;
                switch (record.Topic)
                {
                    case Topics.Containers: containers.Add(Codecs.For<ContainerInfo>().Deserialize(value)); break;
                    case Topics.Signals: signals.Add(Codecs.For<SecuritySignal>().Deserialize(value)); break;
                    case Topics.Snapshots: snapshots.Add(Codecs.For<ActivitySnapshot>().Deserialize(value)); break;
                    default:
                        var batch = Codecs.For<RawEventBatch>().Deserialize(value);
                        if (batch.Events.Any(e => e.Kind == EventKind.ContainerExit)) exited.Add(batch.Container.Id);
                        break;
                }
            }
        }
        async Task Until(Func<bool> condition, string what)
        {
            await Poll.UntilAsync(() => { Drain(); return condition(); }, Deadline, what);
            output.WriteLine($"{DateTime.Now:HH:mm:ss} {what}: ok");
        }

        // One slot: one of the two containers of the Learning image gets it; the Stable image's container never does.
        await Until(() => containers.Any(c => c.Profiled && learners.Contains(c.Container.Id)), "a profiled container");
        var profiled = containers.First(c => c.Profiled).Container.Id;
        var unprofiled = all.Where(id => id != profiled).ToArray();

        foreach (var id in all) await workload.ExecAsync(id, "cat /etc/shadow >/dev/null", CancellationToken.None);
        await Until(() => all.All(id => signals.Any(s => s.RuleId == "wp.read-credentials" && s.Container.Id == id)),
            "a credential signal from every container, profiled or not");
        Assert.All(signals.Where(s => s.RuleId == "wp.read-credentials"), s =>
        {
            Assert.Equal("/etc/shadow", s.Behaviour.FilePath);
            Assert.True(s.Container.HasImage, $"signal of {s.Container.Id} without its image");
        });

        // Every container stops; all their batches are processed; snapshots exist for the profiled container only.
        // The profiled one stops last: a slot freed while a Learning container still runs rotates to it (by design),
        // and that container would then rightly form a snapshot of its own.
        foreach (var id in unprofiled) await workload.RemoveContainerAsync(id, CancellationToken.None);
        await Until(() => unprofiled.All(exited.Contains), "the exit of every unprofiled container on wp.events.raw");
        await workload.RemoveContainerAsync(profiled, CancellationToken.None);
        await Until(() => all.All(exited.Contains), "the exit of every container on wp.events.raw");
        await Until(() => snapshots.Any(s => s.Container.Id == profiled), "the profiled container's snapshot");
        await Poll.UntilAsync(() => AllProcessed(broker.BootstrapServers, application), Deadline, "wp-streams to commit every raw batch");
        Drain();
        Assert.All(snapshots, s => Assert.Equal(profiled, s.Container.Id));
        Assert.All(containers.Where(c => unprofiled.Contains(c.Container.Id)), c => Assert.False(c.Profiled));
        Assert.Contains(snapshots.SelectMany(s => s.Nodes), n => n.Key == "/etc/shadow");
    }

    /// <summary>The application's committed offsets have reached every raw partition's end.</summary>
    static bool AllProcessed(string bootstrap, string application)
    {
        using var group = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = application }).Build();
        var partitions = Enumerable.Range(0, Topics.RawEventPartitions).Select(p => new TopicPartition(Topics.EventsRaw, p)).ToList();
        var committed = group.Committed(partitions, TimeSpan.FromSeconds(10));
        return committed.All(c => group.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(10)).High.Value is var end
                                  && (end == 0 || c.Offset.Value >= end));
    }
}
