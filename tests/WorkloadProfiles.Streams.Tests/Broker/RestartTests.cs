using System.Globalization;
using System.Text;
using Confluent.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Broker;

/// <summary>
/// wp-streams as a separate process against the broker command, killed with SIGKILL mid-stream and restarted: the final
/// profiles must equal those of a run that was never interrupted — no snapshot lost, none counted twice, and process
/// lineage from windows that closed before the crash still in place.
/// </summary>
public sealed class RestartTests(ITestOutputHelper output)
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    static readonly PipelineCodecs Codecs = PipelineCodecs.From(AvroCodecs.Default);

    [Fact]
    public async Task A_job_killed_mid_stream_and_restarted_ends_with_the_profiles_of_an_uninterrupted_run()
    {
        var (firstHalf, secondHalf, expectedSnapshots) = Workload();

        var uninterrupted = await RunAsync(firstHalf, secondHalf, expectedSnapshots, Kill.No);
        Assert.Equal(2, uninterrupted.Profiles.Count);
        Assert.Equal(expectedSnapshots, uninterrupted.Profiles.Values.Sum(p => p.SnapshotCount));
        Assert.All(uninterrupted.Profiles.Values, p => Assert.Equal(0, p.DuplicateSnapshots));

        // Killed after a commit: what was committed is known only to the state restored from the changelogs.
        var restored = await RunAsync(firstHalf, secondHalf, expectedSnapshots, Kill.AfterACommit);
        AssertSameProfiles(uninterrupted, restored);

        // Killed before any commit: everything is delivered again, and the restored state must recognise it — raw batches
        // it already applied (skipped) and snapshots already merged (duplicates) — instead of counting it twice.
        var redelivered = await RunAsync(firstHalf, secondHalf, expectedSnapshots, Kill.BeforeAnyCommit);
        AssertSameProfiles(uninterrupted, redelivered);
        Assert.True(redelivered.ReplayedBatches > 0 || redelivered.Profiles.Values.Sum(p => p.DuplicateSnapshots) > 0,
            "nothing was recognised as redelivered although no offset had been committed");
    }

    static void AssertSameProfiles(Outcome expected, Outcome actual)
    {
        Assert.Equal(expected.Profiles.Keys.Order(), actual.Profiles.Keys.Order());
        foreach (var key in expected.Profiles.Keys)
        {
            Assert.Equal(Canonical(expected.Profiles[key]), Canonical(actual.Profiles[key]));
        }
    }

    enum Kill { No, AfterACommit, BeforeAnyCommit }

    sealed record Outcome(IReadOnlyDictionary<string, SecurityProfile> Profiles, double ReplayedBatches);

    async Task<Outcome> RunAsync(IReadOnlyList<RawEventBatch> firstHalf, IReadOnlyList<RawEventBatch> secondHalf, long expectedSnapshots, Kill kill)
    {
        await using var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(60));
        var stateDir = Path.Combine(Path.GetTempPath(), LocalKafkaBrokerFixture.UniqueName("wp-restart-state"));
        var application = LocalKafkaBrokerFixture.UniqueName("wp-restart");
        try
        {
            using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build();
            Produce(producer, firstHalf);
            using var profiles = new LatestProfiles(broker.BootstrapServers);

            var commitIntervalMs = kill == Kill.BeforeAnyCommit ? 600_000 : 1_000;
            var streams = StartStreams(broker, application, stateDir, commitIntervalMs, out var metricsPort);
            try
            {
                // Part of the input is committed (so after a kill only the restored state knows it) ...
                await Poll.UntilAsync(() => profiles.Drain() > 0 && (kill == Kill.BeforeAnyCommit || Committed(broker, application) > 0) || streams.HasExited,
                    Deadline, "a first profile and a first commit");
                Assert.False(streams.HasExited, streams.Transcript);

                // ... more arrives and is being worked on when the kill comes, between two commits; the rest of the input
                // arrives while the job is down, so the final profiles can only be complete if the restarted job works.
                var before = profiles.Count;
                var cut = secondHalf.Count / 3;
                Produce(producer, secondHalf.Take(cut));
                await Poll.UntilAsync(() => profiles.Drain() > before || streams.HasExited, Deadline, "profiles from more input");
                Assert.False(streams.HasExited, streams.Transcript);
                if (kill != Kill.No)
                {
                    Assert.Equal(137, await streams.SignalAsync(CommandProcess.SigKill, TimeSpan.FromSeconds(10)));
                    output.WriteLine($"killed after {profiles.Count} profile records ({profiles.SnapshotCount} of {expectedSnapshots} snapshots merged), " +
                        $"{Committed(broker, application)} raw batches committed");
                    await streams.DisposeAsync();
                }

                Produce(producer, secondHalf.Skip(cut));
                if (kill != Kill.No)
                {
                    streams = StartStreams(broker, application, stateDir, commitIntervalMs, out metricsPort);
                }

                await Poll.UntilAsync(() => { profiles.Drain(); return profiles.SnapshotCount >= expectedSnapshots || streams.HasExited; },
                    Deadline, $"profiles merging all {expectedSnapshots} snapshots");
                Assert.False(streams.HasExited, streams.Transcript);
                if (kill != Kill.BeforeAnyCommit)
                {
                    // Everything processed gets committed: the lag gauge of every raw partition comes down to 0.
                    var port = metricsPort;
                    await Poll.UntilAsync(() => RawLag(port).Result is { Count: 8 } lag && lag.Values.All(v => v == 0), Deadline,
                        "wp_streams_consumer_lag at 0 on all 8 raw partitions");
                }

                var replayed = await Metric(metricsPort, "wp_streams_replayed_batches_total");
                output.WriteLine($"kill {kill}: {profiles.SnapshotCount} snapshots in {profiles.Latest.Count} profiles, " +
                    $"{replayed} replayed batches, duplicates {profiles.Latest.Values.Sum(p => p.DuplicateSnapshots)}");
                var exit = await streams.SignalAsync(CommandProcess.SigTerm, TimeSpan.FromSeconds(60));
                Assert.True(exit == 0, $"wp-streams exited with {exit} on SIGTERM:\n{streams.Transcript}");
                return new Outcome(profiles.Latest, replayed);
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

    internal static CommandProcess StartStreams(LocalBrokerProcess broker, string application, string stateDir, int commitIntervalMs, out int metricsPort,
        string jobs = "snapshots,profiles")
    {
        metricsPort = LocalBrokerProcess.FreePort();
        return CommandProcess.Start("wp-streams.dll", [], new Dictionary<string, string>
        {
            ["WP_Kafka__BootstrapServers"] = broker.BootstrapServers,
            ["WP_Kafka__LocalBrokerControlPort"] = broker.ControlPort.ToString(CultureInfo.InvariantCulture),
            ["WP_Streams__ApplicationId"] = application,
            ["WP_Streams__StateDir"] = stateDir,
            ["WP_Streams__Jobs"] = jobs,
            ["WP_Streams__WindowMinutes"] = "1",
            ["WP_Streams__GraceSeconds"] = "5",
            // Windows close by stream time and container exit only, never by the wall clock, so both runs cut the same.
            ["WP_Streams__IdleCloseSeconds"] = "3600",
            ["WP_Streams__CommitIntervalMs"] = commitIntervalMs.ToString(CultureInfo.InvariantCulture),
            ["WP_Profiles__TickSeconds"] = "3600",
            ["WP_Streams__LagIntervalSeconds"] = "1",
            ["WP_Http__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Raw batches the application's consumer group has committed, over all partitions.</summary>
    internal static long Committed(LocalBrokerProcess broker, string application)
    {
        using var group = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = application }).Build();
        var partitions = Enumerable.Range(0, PipelineTopics.RawEvents.Partitions).Select(p => new TopicPartition(PipelineTopics.RawEvents.Name, p));
        return group.Committed(partitions, TimeSpan.FromSeconds(10)).Sum(c => Math.Max(0, c.Offset.Value));
    }

    internal static void Produce(IProducer<string, byte[]> producer, IEnumerable<RawEventBatch> batches)
    {
        foreach (var batch in batches)
        {
            // Stamped as an agent's record would be: just after its last event.
            producer.Produce(PipelineTopics.RawEvents.Name, new Message<string, byte[]>
            {
                Key = batch.Container.Id,
                Value = Codecs.Batches.Serialize(batch),
                Timestamp = new Timestamp(batch.Events[^1].TimestampUs / 1000, TimestampType.CreateTime),
            });
        }

        producer.Flush();
    }

    internal static async Task<double> Metric(int port, string name) =>
        (await Metrics(port)).FirstOrDefault(m => m.Name == name).Value;

    /// <summary>The lag gauge's value per <c>wp.events.raw</c> partition.</summary>
    static async Task<Dictionary<string, double>> RawLag(int port) =>
        (await Metrics(port)).Where(m => m.Name.StartsWith($"wp_streams_consumer_lag{{topic=\"{PipelineTopics.RawEvents.Name}\"", StringComparison.Ordinal))
            .ToDictionary(m => m.Name, m => m.Value);

    /// <summary>The Prometheus text exposition as (name with labels, value) pairs.</summary>
    static async Task<IReadOnlyList<(string Name, double Value)>> Metrics(int port)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        return [.. text.Split('\n').Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => (l[..l.LastIndexOf(' ')], double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))];
    }

    /// <summary>
    /// Seven containers of two images (two hosts) for six one-minute windows, batches every 10 s of event time, produced in
    /// event-time order. Processes start in the first window and keep working in later ones (so later snapshots depend on
    /// lineage from closed windows), a shell runs from a worker in the fourth, and every container exits at the end.
    /// </summary>
    static (IReadOnlyList<RawEventBatch> First, IReadOnlyList<RawEventBatch> Second, long Snapshots) Workload()
    {
        var containers = Enumerable.Range(1, 4).Select(i => new ContainerRef($"c-web-{i}", "nginx", "1.27"))
            .Concat(Enumerable.Range(1, 3).Select(i => new ContainerRef($"c-cache-{i}", "redis", "7.2")))
            .ToArray();
        var batches = new List<(long At, RawEventBatch Batch)>();
        var snapshots = 0L;
        for (var c = 0; c < containers.Length; c++)
        {
            var container = containers[c];
            var web = container.ImageName == "nginx";
            var windows = new HashSet<long>();
            for (var step = 0; step < 36; step++)
            {
                var at = Minutes(step / 6.0) + c * 1_000_000L;
                var events = new List<RawEvent>();
                if (step == 0)
                {
                    events.Add(Exec(at, 1, web ? "/usr/sbin/nginx" : "/usr/local/bin/redis-server", web ? ["nginx", "-g", "daemon off;"] : ["redis-server"]));
                    events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = at + 1, Pid = 1, ChildPid = 2, Comm = web ? "nginx" : "redis-server" });
                }

                for (var i = 0; i < 8; i++)
                {
                    var pid = 1 + (i % 2);
                    events.Add(i % 4 == 3
                        ? Dns(at + 10 + i, pid, web ? "api.internal" : "replica.internal")
                        : Open(at + 10 + i, pid, web ? $"/usr/share/nginx/html/page-{(step + i) % 5}.html" : $"/data/appendonly-{i % 3}.aof",
                            comm: web ? "nginx" : "redis-server", flags: web ? 0 : 0x1));
                }

                if (step == 20 && c % 2 == 0)
                {
                    events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = at + 30, Pid = 2, ChildPid = 40 + c, Comm = "worker" });
                    events.Add(Exec(at + 31, 40 + c, "/bin/sh", "sh", "-c", "logrotate /etc/logrotate.conf"));
                    events.Add(Open(at + 32, 40 + c, "/var/log/app.log", comm: "sh", flags: 0x1));
                    events.Add(new RawEvent { Kind = EventKind.Exit, TimestampUs = at + 33, Pid = 40 + c, Comm = "sh" });
                }

                if (step == 35)
                {
                    events.Add(ContainerExit(at + 50));
                }

                foreach (var e in events)
                {
                    windows.Add(e.TimestampUs - (e.TimestampUs - T0) % 60_000_000L);
                }

                batches.Add((at, Batch(container with { }, [.. events]) with { HostName = c % 2 == 0 ? "node-1" : "node-2" }));
            }

            snapshots += windows.Count;
        }

        // A container whose first batch arrives late, carrying lineage (an exec and a fork) for a window stream time passed
        // long ago: dead-lettered as late-events but journaled for its lineage. A restart must replay it under the same
        // lateness rule, not count it after all (one more snapshot, its exec in the profile).
        var late = new ContainerRef("c-web-late", "nginx", "1.27");
        var lateAt = Minutes(3.8);
        batches.Add((lateAt, Batch(late,
            Exec(Minutes(0.5), 1, "/usr/sbin/nginx-old", "nginx-old"),
            new RawEvent { Kind = EventKind.Fork, TimestampUs = Minutes(0.5) + 1, Pid = 1, ChildPid = 2, Comm = "nginx-old" }) with { HostName = "node-1" }));
        var lateWindows = new HashSet<long>();
        for (var step = 0; step < 12; step++)
        {
            var at = lateAt + 1 + Minutes(step / 6.0) - T0;
            RawEvent[] events = step == 11
                ? [Open(at, 2, "/usr/share/nginx/html/late.html"), ContainerExit(at + 50)]
                : [Open(at, 2, "/usr/share/nginx/html/late.html")];
            foreach (var e in events) lateWindows.Add(e.TimestampUs - (e.TimestampUs - T0) % 60_000_000L);
            batches.Add((at, Batch(late, events) with { HostName = "node-1" }));
        }

        snapshots += lateWindows.Count;
        var ordered = batches.OrderBy(b => b.At).Select(b => b.Batch).ToList();
        var second = ordered[(ordered.Count / 2)..];
        // The late batch is in the part of the input the job works on before the kill (see RunAsync).
        Assert.InRange(second.FindIndex(b => b.Container.Id == late.Id), 0, second.Count / 3 - 2);
        return (ordered[..(ordered.Count / 2)], second, snapshots);
    }

    /// <summary>Everything that must not depend on the run: wall-clock fields, revisions and duplicate counts left out,
    /// container membership compared as container ids (bit positions follow merge order).</summary>
    static string Canonical(SecurityProfile profile)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{profile.Key} {profile.Status} snapshots={profile.SnapshotCount} containers={profile.ContainerCount} " +
            $"hosts={profile.HostCount} rejected={profile.RejectedSnapshots} commonality={profile.Commonality:F9}");
        text.AppendLine(string.Join(",", profile.SnapshotIds.Order(StringComparer.Ordinal)));
        text.AppendLine(string.Join(",", profile.ContainerIds.Order(StringComparer.Ordinal)));
        text.AppendLine(string.Join(",", profile.HostNames.Order(StringComparer.Ordinal)));
        foreach (var node in profile.Nodes.OrderBy(n => n.Id))
        {
            var members = profile.ContainerIds.Where((_, i) => i / 8 < node.ContainerBits.Length && (node.ContainerBits[i / 8] & (1 << (i % 8))) != 0)
                .Order(StringComparer.Ordinal);
            text.AppendLine(CultureInfo.InvariantCulture, $"{node.Id:x16} < {node.ParentId:x16} {node.Kind} {node.Key} snapshots={node.SnapshotCount} " +
                $"containers={node.ContainerCount} events={node.EventCount} seen={node.FirstSeenUs}..{node.LastSeenUs} access={node.Access} " +
                $"commonality={node.Commonality:F9}/{node.ContainerCommonality:F9} in={string.Join("+", members)}");
        }

        return text.ToString();
    }

    /// <summary>The compacted <c>wp.profiles</c> topic read as a table: the latest profile per key.</summary>
    sealed class LatestProfiles : IDisposable
    {
        readonly IConsumer<string, byte[]> _consumer;

        public LatestProfiles(string bootstrap)
        {
            _consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = LocalKafkaBrokerFixture.UniqueName("restart-verify"),
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
            }).Build();
            _consumer.Subscribe(PipelineTopics.Profiles.Name);
        }

        public Dictionary<string, SecurityProfile> Latest { get; } = new(StringComparer.Ordinal);

        public int Count { get; private set; }

        public long SnapshotCount => Latest.Values.Sum(p => p.SnapshotCount);

        /// <summary>Reads what arrived; returns how many profile records were read so far.</summary>
        public int Drain()
        {
            while (_consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } record)
            {
                // A compacted topic's reading: the last record of a key is its value.
                Latest[record.Message.Key] = Codecs.Profiles.Deserialize(record.Message.Value);
                Count++;
            }

            return Count;
        }

        public void Dispose() => _consumer.Close();
    }
}
