using System.Globalization;
using System.Text;
using Confluent.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;

namespace WorkloadProfiles.Hostile.Tests;

/// <summary>
/// How a user outgrows one machine: three <c>wp-streams</c> instances share the partitions of one application id; one is
/// SIGKILLed mid-run and never comes back, its tasks move to the other two and restore their state from the changelogs.
/// The final snapshots, profiles and signals must equal those of a single instance that processed the same input alone.
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output)
{
    static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    static readonly AvroCodecs Codecs = AvroCodecs.Default;

    [Fact]
    public async Task Three_instances_one_killed_end_with_the_snapshots_profiles_and_signals_of_one()
    {
        var workload = Workload.ValidTraffic(Workload.BaseNow(), containers: 24);

        var single = await RunAsync(workload, instances: 1, killOne: false);
        var scaled = await RunAsync(workload, instances: 3, killOne: true);

        Assert.True(single.Snapshots.Count >= 24 * 6, $"{single.Snapshots.Count} snapshots");
        Assert.Equal(3, single.Profiles.Count);
        Assert.NotEmpty(single.Signals);
        Assert.Equal(single.Snapshots.Keys.Order(StringComparer.Ordinal), scaled.Snapshots.Keys.Order(StringComparer.Ordinal));
        Assert.All(single.Snapshots, s => Assert.Equal(s.Value, scaled.Snapshots[s.Key]));
        Assert.Equal(single.Profiles.Keys.Order(StringComparer.Ordinal), scaled.Profiles.Keys.Order(StringComparer.Ordinal));
        Assert.All(single.Profiles, p => Assert.Equal(p.Value, scaled.Profiles[p.Key]));
        Assert.Equal(single.Signals.Keys.Order(StringComparer.Ordinal), scaled.Signals.Keys.Order(StringComparer.Ordinal));
        Assert.All(single.Signals, s => Assert.Equal(s.Value, scaled.Signals[s.Key]));
    }

    sealed record Outcome(
        IReadOnlyDictionary<string, string> Snapshots, IReadOnlyDictionary<string, string> Profiles, IReadOnlyDictionary<string, string> Signals);

    async Task<Outcome> RunAsync(Workload workload, int instances, bool killOne)
    {
        await using var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(60));
        var application = LocalKafkaBrokerFixture.UniqueName("wp-scale");
        var work = Path.Combine(Path.GetTempPath(), application);
        var members = new List<(CommandProcess Process, int Port)>();
        try
        {
            for (var i = 0; i < instances; i++)
            {
                members.Add(Start(broker, application, Path.Combine(work, $"instance-{i}")));
            }

            await Poll.UntilAsync(() => members.All(m => m.Process.HasExited || m.Process.Output.Any(l => l.StartsWith("wp-streams ready", StringComparison.Ordinal))),
                Deadline, "the instances to start");
            using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, EnableIdempotence = true }).Build();
            var records = workload.Records;
            var half = records.Count / 2;
            Produce(producer, records.Take(half));

            if (killOne)
            {
                // Every instance has tasks and has worked on them when one of them dies.
                await Poll.UntilAsync(async () => (await Task.WhenAll(members.Select(m => RecordsIn(m.Port)))).All(n => n > 0) || members.Any(m => m.Process.HasExited),
                    Deadline, "every instance to process records");
                await Poll.UntilAsync(() => Lag(broker.BootstrapServers, application) < half / 2, Deadline, "half of the first half to be committed");
                var victim = members[1];
                Assert.Equal(137, await victim.Process.SignalAsync(CommandProcess.SigKill, TimeSpan.FromSeconds(30)));
                output.WriteLine($"SIGKILLed instance 1 ({await RecordsIn(members[0].Port)} records in on instance 0); lag {Lag(broker.BootstrapServers, application)}");
                members.Remove(victim);
                await victim.Process.DisposeAsync();
            }

            Produce(producer, records.Skip(half));
            await Poll.UntilAsync(() => members.Any(m => m.Process.HasExited) || Lag(broker.BootstrapServers, application) == 0, Deadline, "the application to commit everything");
            Assert.All(members, m => Assert.False(m.Process.HasExited, m.Process.Transcript));
            foreach (var (process, _) in members)
            {
                Assert.Equal(0, await process.SignalAsync(CommandProcess.SigTerm, TimeSpan.FromSeconds(60)));
            }

            return new Outcome(
                Latest(broker.BootstrapServers, Topics.Snapshots, v => Canonical(Codecs.For<ActivitySnapshot>().Deserialize(v)), s => s),
                Latest(broker.BootstrapServers, Topics.Profiles, v => Canonical(Codecs.For<SecurityProfile>().Deserialize(v)), s => s),
                Latest(broker.BootstrapServers, Topics.Signals, v => Canonical(Codecs.For<SecuritySignal>().Deserialize(v)), s => s));
        }
        finally
        {
            foreach (var (process, _) in members)
            {
                await process.DisposeAsync();
            }

            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    static (CommandProcess, int) Start(LocalBrokerProcess broker, string application, string stateDir)
    {
        var port = LocalBrokerProcess.FreePort();
        return (CommandProcess.Start("wp-streams.dll", [], new Dictionary<string, string>
        {
            ["WP_Kafka__BootstrapServers"] = broker.BootstrapServers,
            ["WP_Kafka__LocalBrokerControlPort"] = broker.ControlPort.ToString(CultureInfo.InvariantCulture),
            ["WP_Streams__ApplicationId"] = application,
            ["WP_Streams__StateDir"] = stateDir,
            ["WP_Streams__WindowMinutes"] = "1",
            ["WP_Streams__GraceSeconds"] = "5",
            ["WP_Streams__IdleCloseSeconds"] = "3600",
            ["WP_Streams__CommitIntervalMs"] = "500",
            ["WP_Profiles__StableSnapshotCount"] = "1000",
            ["WP_Profiles__TickSeconds"] = "3600",
            ["WP_Http__Port"] = port.ToString(CultureInfo.InvariantCulture),
        }), port);
    }

    static void Produce(IProducer<byte[]?, byte[]?> producer, IEnumerable<Outgoing> records)
    {
        foreach (var record in records)
        {
            producer.Produce(record.Topic, new Message<byte[]?, byte[]?>
            {
                Key = record.Key,
                Value = record.Value,
                Timestamp = new Timestamp(record.TimestampMs!.Value, TimestampType.CreateTime),
            });
        }

        producer.Flush(TimeSpan.FromSeconds(30));
    }

    /// <summary>Records of the application's source topics it has not committed.</summary>
    static long Lag(string bootstrap, string application)
    {
        string[] topics = [Topics.EventsRaw, Topics.Snapshots, Topics.Signals, Topics.Profiles, "wp.falco"];
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Where(t => topics.Contains(t.Topic))
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId))).ToList();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = application }).Build();
        var committed = consumer.Committed(partitions, TimeSpan.FromSeconds(10)).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        return partitions.Sum(p => Math.Max(0, consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value - Math.Max(0, committed.GetValueOrDefault(p, 0))));
    }

    static async Task<double> RecordsIn(int port)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            return text.Split('\n').Where(l => l.StartsWith("wp_streams_records_in_total{", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    /// <summary>The topic read as a table: the last value per key (a redelivered record repeats an earlier one).</summary>
    static Dictionary<string, string> Latest(string bootstrap, string topic, Func<byte[], string> canonical, Func<string, string> keyOf)
    {
        var latest = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in SuiteRun.ReadAll(bootstrap, topic))
        {
            var text = canonical(value);
            latest[keyOf(text[..text.IndexOf('\n', StringComparison.Ordinal)])] = text;
        }

        return latest;
    }

    /// <summary>A snapshot without what depends on the run (nothing does: its id is deterministic).</summary>
    static string Canonical(ActivitySnapshot snapshot)
    {
        var text = new StringBuilder().AppendLine(snapshot.SnapshotId);
        text.AppendLine(CultureInfo.InvariantCulture, $"{snapshot.EventCount} {snapshot.ClosedByExit} {snapshot.Truncated} {snapshot.DroppedNodes} {snapshot.FirstEventUs}..{snapshot.LastEventUs}");
        foreach (var node in snapshot.Nodes) text.AppendLine(CultureInfo.InvariantCulture, $"{node.Id:x16} < {node.ParentId:x16} {node.Kind} {node.Key} {node.EventCount} {node.FirstSeenUs}..{node.LastSeenUs} {node.Access}");
        return text.ToString();
    }

    /// <summary>A profile without wall-clock fields, revisions and duplicate counts; container membership by container id.</summary>
    static string Canonical(SecurityProfile profile)
    {
        var text = new StringBuilder().AppendLine(profile.Key.ToString());
        text.AppendLine(CultureInfo.InvariantCulture, $"{profile.Status} snapshots={profile.SnapshotCount} containers={profile.ContainerCount} hosts={profile.HostCount} " +
            $"rejected={profile.RejectedSnapshots} commonality={profile.Commonality:F9}");
        text.AppendLine(string.Join(",", profile.SnapshotIds.Order(StringComparer.Ordinal)));
        foreach (var node in profile.Nodes.OrderBy(n => n.Id))
        {
            var members = profile.ContainerIds.Where((_, i) => i / 8 < node.ContainerBits.Length && (node.ContainerBits[i / 8] & (1 << (i % 8))) != 0)
                .Order(StringComparer.Ordinal);
            text.AppendLine(CultureInfo.InvariantCulture, $"{node.Id:x16} < {node.ParentId:x16} {node.Kind} {node.Key} snapshots={node.SnapshotCount} " +
                $"events={node.EventCount} seen={node.FirstSeenUs}..{node.LastSeenUs} in={string.Join("+", members)}");
        }

        return text.ToString();
    }

    /// <summary>A signal: which rule, which event, and the process ancestry it carries.</summary>
    static string Canonical(SecuritySignal signal)
    {
        var text = new StringBuilder().AppendLine(signal.SignalId);
        text.AppendLine(CultureInfo.InvariantCulture, $"{signal.RuleId} {signal.Container.Id} {signal.TimestampUs} {signal.Behaviour.Kind} {signal.Behaviour.FilePath}");
        foreach (var process in signal.Behaviour.Ancestry) text.AppendLine($"{process.ExecutablePath} {string.Join(' ', process.Args)}");
        return text.ToString();
    }
}
