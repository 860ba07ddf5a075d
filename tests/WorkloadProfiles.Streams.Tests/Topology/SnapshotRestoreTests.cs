using System.Text;
using Streamiz.Kafka.Net.Crosscutting;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Snapshots;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Topology;

/// <summary>
/// A snapshot job restarted after a crash gets its store back from the changelog a poll at a time, and Streamiz punctuates
/// its processor meanwhile (only records wait for the restore). The windows and lineage it rebuilds must be those of
/// the whole restored store, never of the part restored when the first punctuation came.
/// </summary>
public sealed class SnapshotRestoreTests
{
    static readonly string Raw = PipelineTopics.RawEvents.Name;
    static readonly StreamsJobOptions Options = new()
    {
        Jobs = StreamJobs.Snapshots,
        Snapshots = new SnapshotJobOptions { Window = TimeSpan.FromMinutes(30), Grace = TimeSpan.FromMinutes(2), PunctuationInterval = TimeSpan.FromSeconds(5) },
    };

    [Fact]
    public void A_punctuation_while_the_store_restores_does_not_rebuild_the_windows_from_what_is_restored_so_far()
    {
        // nginx starts in window 0 and keeps working in window 1; window 0 closes, which moves the lineage base to the start
        // of window 1 (nginx running) and trims the journal entry of the start.
        RawEventBatch[] batches =
        [
            Batch(Web1, NginxStart(Minutes(1))),
            Batch(Web1, Open(Minutes(31), 1, "/etc/nginx/mime.types")),
            Batch(Web1, Open(Minutes(33), 1, "/var/log/nginx/access.log", flags: 0x41)),
        ];
        // Another container's batch moves stream time past window 1, which closes it.
        var later = Batch(Web2, NginxStart(Minutes(63)));

        using var first = new TopologyHarness(Options);
        Send(first, batches[0]);
        var startOnly = Contents(first);
        Send(first, batches[1]);
        Send(first, batches[2]);
        var crashed = Contents(first);
        Send(first, later);
        var expected = WindowOne(first);
        Assert.Contains(expected.Nodes, n => n.Key == "/usr/sbin/nginx");

        // The restarted task: a first part of the changelog is restored (the start, not yet the close) when the first
        // punctuation comes; then the rest, then the task runs.
        using var restarted = new TopologyHarness(Options);
        restarted.Input(Raw);
        var store = restarted.RestoredStore(SnapshotWindowProcessor.StoreName);
        foreach (var (key, value) in startOnly)
        {
            store.Put(Key(key), value);
        }

        restarted.AdvanceWallClock(TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(6));
        foreach (var key in startOnly.Keys.Except(crashed.Keys))
        {
            store.Delete(Key(key));
        }

        foreach (var (key, value) in crashed)
        {
            store.Put(Key(key), value);
        }

        restarted.Pipeline.Restoration.Ended(SnapshotWindowProcessor.StoreName, 0);
        Send(restarted, later);

        var actual = WindowOne(restarted);
        Assert.Equal(expected.EventCount, actual.EventCount);
        Assert.Equal(expected.Nodes.Select(n => (n.Id, n.ParentId, n.Key, n.EventCount)).Order(), actual.Nodes.Select(n => (n.Id, n.ParentId, n.Key, n.EventCount)).Order());
    }

    [Fact]
    public void Once_the_stores_are_restored_a_punctuation_recovers_without_waiting_for_a_record()
    {
        using var first = new TopologyHarness(Options);
        Send(first, Batch(Web1, NginxStart(Minutes(1))));
        var crashed = Contents(first);

        // Idle close is wall-clock work: a restarted task whose input stays quiet must still close the restored window.
        using var restarted = new TopologyHarness(Options);
        restarted.Input(Raw);
        restarted.Restore(SnapshotWindowProcessor.StoreName, crashed.Select(e => (e.Key, (byte[]?)e.Value)));
        restarted.AdvanceWallClock(Options.Snapshots.EffectiveIdleClose + TimeSpan.FromMinutes(1));

        var snapshot = Assert.Single(restarted.Read(PipelineTopics.Snapshots.Name, restarted.Codecs.Snapshots)).Value;
        Assert.Equal(ActivitySnapshot.MakeId(Web1.Id, Minutes(0)), snapshot.SnapshotId);
        Assert.Equal(3, snapshot.EventCount);
    }

    [Fact]
    public void A_snapshot_whose_close_reached_the_changelog_but_not_its_topic_is_sent_again_after_a_restart()
    {
        // Window 0 of web-1 closes when web-2's batch moves stream time past it: the close (journal trimmed, window marked
        // closed) is in the store, the snapshot on its way out.
        using var first = new TopologyHarness(Options);
        Send(first, Batch(Web1, NginxStart(Minutes(1))));
        var later = Batch(Web2, NginxStart(Minutes(63)));
        Send(first, later);
        var sent = Assert.Single(first.Read(PipelineTopics.Snapshots.Name, first.Codecs.Snapshots)).Value;
        Assert.Equal(ActivitySnapshot.MakeId(Web1.Id, Minutes(0)), sent.SnapshotId);

        // The crash: the changelog got everything, wp.snapshots nothing, the input offsets were not committed.
        var crashed = Contents(first);
        using var restarted = new TopologyHarness(Options);
        restarted.Input(Raw);
        restarted.Restore(SnapshotWindowProcessor.StoreName, crashed.Select(e => (e.Key, (byte[]?)e.Value)));
        Send(restarted, Batch(Web1, NginxStart(Minutes(1))));
        Send(restarted, later);

        // Both redelivered batches are skipped (their effect is in the store); the snapshot comes from the outbox, whole.
        Assert.Equal(2, restarted.Counter(restarted.Metrics.ReplayedBatches));
        var again = Assert.Single(restarted.Read(PipelineTopics.Snapshots.Name, restarted.Codecs.Snapshots)).Value;
        Assert.Equal(sent.SnapshotId, again.SnapshotId);
        Assert.Equal(sent.EventCount, again.EventCount);
        Assert.Equal(sent.Nodes.Select(n => (n.Id, n.Key, n.EventCount)), again.Nodes.Select(n => (n.Id, n.Key, n.EventCount)));
        Assert.Equal(1, restarted.Counter(restarted.Metrics.OutboxResent, "snapshots"));
    }

    [Fact]
    public void An_output_leaves_the_outbox_once_a_commit_has_delivered_it()
    {
        using var harness = new TopologyHarness(Options);
        Send(harness, Batch(Web1, NginxStart(Minutes(1))));
        Send(harness, Batch(Web2, NginxStart(Minutes(63))));
        Assert.Single(harness.Read(PipelineTopics.Snapshots.Name, harness.Codecs.Snapshots));
        Assert.Single(OutboxKeys(harness));

        // No commit yet: more records and punctuations keep it.
        Send(harness, Batch(Web2, Open(Minutes(64), 1, "/etc/nginx/mime.types")));
        harness.AdvanceWallClock(TimeSpan.FromSeconds(6));
        Assert.Single(OutboxKeys(harness));

        // A commit flushed the task store, then the producer; the next punctuation deletes the entry.
        harness.Pipeline.Commits.Flushed(SnapshotWindowProcessor.StoreName, 0);
        harness.AdvanceWallClock(TimeSpan.FromSeconds(6));
        Assert.Empty(OutboxKeys(harness));
        Assert.Equal(0, harness.Metrics.OutboxPending.WithLabels("snapshots").Value);
    }

    static List<string> OutboxKeys(TopologyHarness harness) =>
        [.. Contents(harness).Keys.Where(k => k.StartsWith(SnapshotStateKeys.OutboxPrefix, StringComparison.Ordinal))];

    static void Send(TopologyHarness harness, RawEventBatch batch) =>
        harness.Pipe(Raw, batch.Container.Id, harness.Codecs.Batches.Serialize(batch),
            DateTimeOffset.FromUnixTimeMilliseconds(batch.Events[^1].TimestampUs / 1000).UtcDateTime);

    static Bytes Key(string key) => Bytes.Wrap(Encoding.UTF8.GetBytes(key));

    static Dictionary<string, byte[]> Contents(TopologyHarness harness) =>
        harness.Store(SnapshotWindowProcessor.StoreName).All().ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    static ActivitySnapshot WindowOne(TopologyHarness harness) =>
        Assert.Single(harness.Read(PipelineTopics.Snapshots.Name, harness.Codecs.Snapshots),
            s => s.Value.SnapshotId == ActivitySnapshot.MakeId(Web1.Id, Minutes(30))).Value;
}
