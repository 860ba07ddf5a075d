using System.Text;
using Streamiz.Kafka.Net.Crosscutting;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Snapshots;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Topology;

/// <summary>
/// A snapshot job that crashes after any batch — its store restored from the changelog, its input redelivered from the
/// start — must end with exactly the snapshots of a job that never crashed: the same ids, counts and node identities.
/// </summary>
public sealed class SnapshotCrashPointTests
{
    static readonly string Raw = PipelineTopics.RawEvents.Name;
    static readonly StreamsJobOptions Options = new()
    {
        Jobs = StreamJobs.Snapshots,
        Snapshots = new SnapshotJobOptions
        {
            Window = TimeSpan.FromMinutes(1), Grace = TimeSpan.FromSeconds(5), PunctuationInterval = TimeSpan.FromSeconds(5),
            IdleClose = TimeSpan.FromHours(1),
        },
    };

    [Fact]
    public void A_crash_at_any_point_of_the_changelog_ends_with_the_snapshots_of_a_run_without_one()
    {
        var batches = Workload();
        var (expected, changelog) = Uninterrupted(batches);
        Assert.True(expected.Count >= 30, $"{expected.Count} snapshots");

        var differences = new List<string>();
        for (var cut = 0; cut <= changelog.Count; cut++)
        {
            var actual = Restarted(batches, changelog.Take(cut));
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

    /// <summary>The snapshots of a run without a crash, and the changelog of its store in the order it was written.</summary>
    static (Dictionary<string, string> Snapshots, List<(string Key, byte[]? Value)> Changelog) Uninterrupted(IReadOnlyList<RawEventBatch> batches)
    {
        using var harness = new TopologyHarness(Options);
        harness.Read(harness.Changelog(SnapshotWindowProcessor.StoreName));
        foreach (var batch in batches)
        {
            Send(harness, batch);
        }

        var snapshots = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(harness, snapshots);
        return (snapshots, harness.Read(harness.Changelog(SnapshotWindowProcessor.StoreName)).Select(r => (r.Key, (byte[]?)r.Value)).ToList());
    }

    /// <summary>
    /// A run that crashed when the changelog held <paramref name="restored"/> and nothing it sent had been delivered or
    /// committed: the restarted task restores that, gets every batch again, and must send every snapshot.
    /// </summary>
    static Dictionary<string, string> Restarted(IReadOnlyList<RawEventBatch> batches, IEnumerable<(string Key, byte[]? Value)> restored)
    {
        using var harness = new TopologyHarness(Options);
        harness.Input(Raw);
        var store = harness.RestoredStore(SnapshotWindowProcessor.StoreName);
        foreach (var (key, value) in restored)
        {
            if (value is null)
            {
                store.Delete(Bytes.Wrap(Encoding.UTF8.GetBytes(key)));
            }
            else
            {
                store.Put(Bytes.Wrap(Encoding.UTF8.GetBytes(key)), value);
            }
        }

        harness.Pipeline.Restoration.Ended(SnapshotWindowProcessor.StoreName, 0);
        foreach (var batch in batches)
        {
            Send(harness, batch);
        }

        var snapshots = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(harness, snapshots);
        return snapshots;
    }

    static void Collect(TopologyHarness harness, Dictionary<string, string> snapshots)
    {
        foreach (var (_, s) in harness.Read(PipelineTopics.Snapshots.Name, harness.Codecs.Snapshots))
        {
            snapshots[s.SnapshotId] = $"{s.EventCount} events, {s.Nodes.Count} nodes: " +
                string.Join(" ", s.Nodes.OrderBy(n => n.Id).Select(n => $"{n.Kind}:{n.Key}:{n.Id:x16}<{n.ParentId:x16}x{n.EventCount}"));
        }
    }

    static void Send(TopologyHarness harness, RawEventBatch batch) =>
        harness.Pipe(Raw, batch.Container.Id, harness.Codecs.Batches.Serialize(batch),
            DateTimeOffset.FromUnixTimeMilliseconds(batch.Events[^1].TimestampUs / 1000).UtcDateTime);

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
