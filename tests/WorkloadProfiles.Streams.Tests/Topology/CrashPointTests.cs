using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Streams.Detection;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Streams.Profiles;
using WorkloadProfiles.Streams.Snapshots;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Topology;

/// <summary>
/// A job that crashes at any point — its store restored from whatever prefix of its changelog the broker had, none of
/// what it sent delivered, its input redelivered from the start — must end with exactly the outputs of a job that never
/// crashed: the snapshot job the same snapshots (ids, counts, node identities), the detection job the same signals
/// (ids, times, acting process and ancestry), the profile job the same profiles (counts, status, commonality, nodes).
/// </summary>
public sealed class CrashPointTests
{
    static readonly string Raw = PipelineTopics.RawEvents.Name;
    static readonly StreamsJobOptions SnapshotJob = new()
    {
        Jobs = StreamJobs.Snapshots,
        Snapshots = new SnapshotJobOptions
        {
            Window = TimeSpan.FromMinutes(1), Grace = TimeSpan.FromSeconds(5), PunctuationInterval = TimeSpan.FromSeconds(5),
            IdleClose = TimeSpan.FromHours(1),
        },
    };

    static readonly Job Snapshots = new(SnapshotJob, SnapshotWindowProcessor.StoreName, (harness, outputs) =>
    {
        foreach (var (_, s) in harness.Read(PipelineTopics.Snapshots.Name, harness.Codecs.Snapshots))
        {
            outputs[s.SnapshotId] = $"{s.EventCount} events, {s.Nodes.Count} nodes: " +
                string.Join(" ", s.Nodes.OrderBy(n => n.Id).Select(n => $"{n.Kind}:{n.Key}:{n.Id:x16}<{n.ParentId:x16}x{n.EventCount}"));
        }
    });

    static readonly Job Detection = new(new StreamsJobOptions { Jobs = StreamJobs.Detection }, DetectionProcessor.StoreName, (harness, outputs) =>
    {
        foreach (var (_, s) in harness.Read(PipelineTopics.Signals.Name, harness.Codecs.Signals))
        {
            outputs[s.SignalId] = $"{s.RuleId} at {s.TimestampUs} by {s.Process?.ExecutablePath} {s.Process?.Pid}: " +
                string.Join(" > ", s.Behaviour.Ancestry.Select(a => $"{a.ExecutablePath} {string.Join(' ', a.Args)} ({a.Pid})")) +
                $" {s.Behaviour.FilePath}";
        }
    });

    static readonly Job Profiles = new(new StreamsJobOptions { Jobs = StreamJobs.Profiles }, ProfileAggregationProcessor.StoreName,
        (harness, outputs) =>
        {
            // The last profile published per key; what a redelivery must not change (duplicates are counted, revisions move).
            foreach (var (_, p) in harness.Read(PipelineTopics.Profiles.Name, harness.Codecs.Profiles))
            {
                outputs[p.Key.ToString()] = $"{p.Status} {p.SnapshotCount} snapshots, {p.ContainerCount} containers, commonality " +
                    $"{p.Commonality:F6}: " + string.Join(" ", p.Nodes.OrderBy(n => n.Id).Select(n =>
                        $"{n.Id:x16}<{n.ParentId:x16} {n.Kind}:{n.Key} s{n.SnapshotCount} c{n.ContainerCount} e{n.EventCount} {n.Commonality:F4}"));
            }
        },
        Input: SnapshotsOf);

    /// <summary>A job under test: its options, its task store, what of its outputs must come out the same, and its input
    /// (raw batches of <see cref="Workload"/> unless given).</summary>
    sealed record Job(StreamsJobOptions Options, string Store, Action<TopologyHarness, Dictionary<string, string>> Collect,
        Func<IReadOnlyList<RawEventBatch>, IReadOnlyList<Piped>>? Input = null)
    {
        public IReadOnlyList<Piped> Records(IReadOnlyList<RawEventBatch> batches) => Input?.Invoke(batches) ??
            [.. batches.Select(b => new Piped(Raw, b.Container.Id, Codec.Batches.Serialize(b), DateTimeOffset.FromUnixTimeMilliseconds(b.Events[^1].TimestampUs / 1000).UtcDateTime))];
    }

    sealed record Piped(string Topic, string Key, byte[] Value, DateTime Time);

    static readonly PipelineCodecs Codec = PipelineCodecs.From(AvroCodecs.Default);

    /// <summary>The snapshot job's output for the workload, in the order it was sent: the profile job's input.</summary>
    static IReadOnlyList<Piped> SnapshotsOf(IReadOnlyList<RawEventBatch> batches)
    {
        using var harness = new TopologyHarness(SnapshotJob);
        foreach (var batch in batches)
        {
            harness.Pipe(Raw, batch.Container.Id, harness.Codecs.Batches.Serialize(batch),
                DateTimeOffset.FromUnixTimeMilliseconds(batch.Events[^1].TimestampUs / 1000).UtcDateTime);
        }

        return [.. harness.Read(PipelineTopics.Snapshots.Name).Select(r =>
            new Piped(PipelineTopics.Snapshots.Name, r.Key, r.Value, DateTimeOffset.FromUnixTimeMilliseconds(Codec.Snapshots.Deserialize(r.Value).WindowEndUs / 1000).UtcDateTime))];
    }

    [Fact]
    public void A_snapshot_job_crashed_at_any_point_of_its_changelog_ends_with_the_snapshots_of_a_run_without_a_crash() =>
        AssertEveryCutPoint(Snapshots, minimumOutputs: 40);

    [Fact]
    public void A_detection_job_crashed_at_any_point_of_its_changelog_ends_with_the_signals_of_a_run_without_a_crash() =>
        AssertEveryCutPoint(Detection, minimumOutputs: 20);

    [Fact]
    public void A_profile_job_crashed_at_any_point_of_its_changelog_ends_with_the_profiles_of_a_run_without_a_crash() =>
        AssertEveryCutPoint(Profiles, minimumOutputs: 3);

    static void AssertEveryCutPoint(Job job, int minimumOutputs)
    {
        var records = job.Records(Workload());
        var (expected, changelog) = Uninterrupted(job, records);
        Assert.True(expected.Count >= minimumOutputs, $"{expected.Count} outputs");
        Assert.NotEmpty(changelog);

        var differences = new List<string>();
        for (var cut = 0; cut <= changelog.Count; cut++)
        {
            var actual = Restarted(job, records, changelog.Take(cut));
            foreach (var id in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
            {
                var want = expected.GetValueOrDefault(id) ?? "(none)";
                var got = actual.GetValueOrDefault(id) ?? "(none)";
                if (want != got)
                {
                    differences.Add($"changelog cut after {cut} of {changelog.Count} records: {id}\n  without: {want}\n  with:    {got}");
                }
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(5)) + $"\n({differences.Count} in all)");
    }

    /// <summary>The outputs of a run without a crash, and the changelog of its store in the order it was written.</summary>
    static (Dictionary<string, string> Outputs, List<(string Key, byte[]? Value)> Changelog) Uninterrupted(Job job, IReadOnlyList<Piped> records)
    {
        using var harness = new TopologyHarness(job.Options);
        harness.Read(harness.Changelog(job.Store));
        foreach (var record in records)
        {
            harness.Pipe(record.Topic, record.Key, record.Value, record.Time);
        }

        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        job.Collect(harness, outputs);
        return (outputs, harness.Read(harness.Changelog(job.Store)).Select(r => (r.Key, (byte[]?)r.Value)).ToList());
    }

    /// <summary>
    /// A run that crashed when the changelog held <paramref name="restored"/> and nothing it sent had been delivered or
    /// committed: the restarted task restores that, gets every batch again, and must send every output.
    /// </summary>
    static Dictionary<string, string> Restarted(Job job, IReadOnlyList<Piped> records, IEnumerable<(string Key, byte[]? Value)> restored)
    {
        using var harness = new TopologyHarness(job.Options);
        harness.Input(records[0].Topic);
        harness.Restore(job.Store, restored);
        foreach (var record in records)
        {
            harness.Pipe(record.Topic, record.Key, record.Value, record.Time);
        }

        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        job.Collect(harness, outputs);
        return outputs;
    }

    /// <summary>Seven containers of three images over six one-minute windows: a start with a fork, file and DNS work, a shell
    /// now and then, an exit at the end; the last one's image known only from its fourth batch; in event-time order across
    /// containers.</summary>
    static List<RawEventBatch> Workload()
    {
        var programs = new[] { "/usr/sbin/nginx", "/usr/local/bin/postgres", "/app/worker" };
        var batches = new List<(long At, RawEventBatch Batch)>();
        for (var c = 0; c < 7; c++)
        {
            var program = programs[c % 3];
            var container = new ContainerRef($"c-{c}", $"img-{c % 3}", "1.0");
            // The last container's first batches come before the agent knew its image: held until one names it.
            var unresolved = container with { ImageName = null, ImageTag = null };
            for (var step = 0; step < 36; step++)
            {
                var at = Minutes(1 + step / 6.0) + c * 10_000L;
                var events = new List<RawEvent>();
                if (step == 0)
                {
                    events.Add(Exec(at, 1, program));
                    events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = at + 1, Pid = 1, ChildPid = 2, Comm = Path.GetFileName(program) });
                }

                for (var i = 0; i < 6; i++)
                {
                    events.Add(i % 3 == 2 ? Dns(at + 10 + i, 2, $"img-{c % 3}.internal") : Open(at + 10 + i, 1 + i % 2, $"/srv/file-{(step + i) % 7}.dat"));
                }

                if (step % 12 == 6)
                {
                    events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = at + 30, Pid = 2, ChildPid = 100 + step, Comm = "worker" });
                    events.Add(Exec(at + 31, 100 + step, "/bin/sh", "sh", "-c", "logrotate /etc/logrotate.conf"));
                    events.Add(Open(at + 32, 100 + step, "/etc/app.conf", comm: "sh", flags: 0x41));
                    events.Add(new RawEvent { Kind = EventKind.Exit, TimestampUs = at + 33, Pid = 100 + step, Comm = "sh" });
                }

                if (step == 35)
                {
                    events.Add(ContainerExit(at + 50));
                }

                batches.Add((at, Batch(c == 6 && step < 3 ? unresolved : container, [.. events])));
            }
        }

        return [.. batches.OrderBy(b => b.At).Select(b => b.Batch)];
    }
}
