using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Topology;

public sealed class SnapshotJobTests : IDisposable
{
    static readonly string Raw = PipelineTopics.RawEvents.Name;
    static readonly string Snapshots = PipelineTopics.Snapshots.Name;

    readonly TopologyHarness _h = new(new StreamsJobOptions
    {
        Jobs = StreamJobs.Snapshots,
        Snapshots = new SnapshotJobOptions { Window = TimeSpan.FromMinutes(30), Grace = TimeSpan.FromMinutes(2), ImageHold = TimeSpan.FromMinutes(1) },
    });

    public void Dispose() => _h.Dispose();

    void Send(RawEventBatch batch) =>
        _h.Pipe(Raw, batch.Container.Id, _h.Codecs.Batches.Serialize(batch),
            DateTimeOffset.FromUnixTimeMilliseconds(batch.Events[^1].TimestampUs / 1000).UtcDateTime);

    List<(string Key, ActivitySnapshot Value)> ReadSnapshots() => _h.Read(Snapshots, _h.Codecs.Snapshots);

    [Fact]
    public void Window_closes_only_when_stream_time_passes_its_end_plus_grace()
    {
        Send(Batch(Web1, NginxStart(Minutes(1))));
        Send(Batch(Web1, Open(Minutes(29), 1, "/var/log/nginx/access.log", flags: 0x41)));
        Send(Batch(Web1, Open(Minutes(31), 1, "/etc/nginx/mime.types")));
        Assert.Empty(ReadSnapshots()); // 31 min < 30 min + 2 min grace

        Send(Batch(Web1, Open(Minutes(32) + 1, 1, "/etc/nginx/mime.types")));

        var snapshot = Assert.Single(ReadSnapshots());
        Assert.Equal("nginx@1.27", snapshot.Key);
        Assert.Equal(ActivitySnapshot.MakeId(Web1.Id, Minutes(0)), snapshot.Value.SnapshotId);
        Assert.Equal(Minutes(0), snapshot.Value.WindowStartUs);
        Assert.Equal(Minutes(30), snapshot.Value.WindowEndUs);
        Assert.Equal(4, snapshot.Value.EventCount); // the three of the start and the log write, nothing of window two
        Assert.Equal(Minutes(29), snapshot.Value.LastEventUs);
        Assert.False(snapshot.Value.ClosedByExit);
        Assert.Contains(snapshot.Value.Nodes, n => n.Key.Contains("access.log", StringComparison.Ordinal));
        Assert.Equal(1, _h.Counter(_h.Metrics.WindowCloses, "stream-time"));
    }

    [Fact]
    public void Events_within_grace_are_included_and_later_ones_are_dead_lettered_as_late()
    {
        Send(Batch(Web1, NginxStart(Minutes(1))));
        Send(Batch(Web1, Open(Minutes(31), 1, "/etc/nginx/mime.types")));
        Send(Batch(Web1, Open(Minutes(29) + 500, 1, "/etc/nginx/conf.d/late-but-in-grace.conf")));
        Send(Batch(Web1, Open(Minutes(33), 1, "/etc/nginx/mime.types")));
        var first = Assert.Single(ReadSnapshots()).Value;
        Assert.Equal(4, first.EventCount);
        Assert.Contains(first.Nodes, n => n.Key.Contains("late-but-in-grace", StringComparison.Ordinal));

        var late = Batch(Web1, Open(Minutes(10), 1, "/etc/too-late"));
        Send(late);

        Assert.Empty(ReadSnapshots()); // the closed window is never re-emitted
        var letter = Assert.Single(_h.DeadLetters());
        Assert.Equal("late-events", letter.Reason);
        Assert.Equal(Raw, letter.SourceTopic);
        Assert.Equal(_h.Codecs.Batches.Serialize(late), letter.Value);
        Assert.Equal(1, _h.Counter(_h.Metrics.LateEvents));
    }

    [Fact]
    public void Container_exit_closes_the_window_early()
    {
        Send(Batch(Web1, NginxStart(Minutes(3))));
        Send(Batch(Web1, ContainerExit(Minutes(4))));

        var snapshot = Assert.Single(ReadSnapshots()).Value;
        Assert.True(snapshot.ClosedByExit);
        Assert.Equal(Minutes(0), snapshot.WindowStartUs);
        Assert.Equal(4, snapshot.EventCount);

        // Stream time moving on does not produce a second snapshot for that window.
        Send(Batch(Web2, NginxStart(Minutes(40))));
        Assert.Empty(ReadSnapshots());
        Assert.Equal(1, _h.Counter(_h.Metrics.WindowCloses, "container-exit"));
    }

    [Fact]
    public void Each_container_window_yields_exactly_one_final_snapshot()
    {
        for (var minute = 0; minute < 60; minute += 5)
        {
            Send(Batch(Web1, Open(Minutes(minute + 1), 1, $"/srv/www/page-{minute % 3}.html")));
            Send(Batch(Web2, Open(Minutes(minute + 2), 1, $"/srv/www/page-{minute % 2}.html")));
        }

        Send(Batch(Web1, Open(Minutes(95), 1, "/srv/www/index.html")));

        var snapshots = ReadSnapshots().Select(s => s.Value).ToList();
        Assert.Equal(4, snapshots.Count); // 2 containers × windows [0,30) and [30,60)
        Assert.Equal(4, snapshots.Select(s => s.SnapshotId).Distinct().Count());
        Assert.All(snapshots, s => Assert.Equal(6, s.EventCount));
        Assert.Equal(
            [ActivitySnapshot.MakeId(Web1.Id, Minutes(0)), ActivitySnapshot.MakeId(Web1.Id, Minutes(30)),
             ActivitySnapshot.MakeId(Web2.Id, Minutes(0)), ActivitySnapshot.MakeId(Web2.Id, Minutes(30))],
            snapshots.Select(s => s.SnapshotId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Batches_without_image_are_held_until_a_later_batch_resolves_it()
    {
        var unresolved = Web1 with { ImageName = null, ImageTag = null };
        Send(Batch(unresolved, NginxStart(Minutes(1))));
        Send(Batch(Web1, Open(Minutes(2), 1, "/etc/nginx/mime.types")));
        Send(Batch(Web1, ContainerExit(Minutes(3))));

        var snapshot = Assert.Single(ReadSnapshots());
        Assert.Equal("nginx@1.27", snapshot.Key);
        Assert.Equal(5, snapshot.Value.EventCount);
        Assert.Empty(_h.DeadLetters());
    }

    [Fact]
    public void Batches_whose_image_never_resolves_are_dead_lettered_after_the_hold()
    {
        var unresolved = Web1 with { ImageName = null, ImageTag = null };
        var batch = Batch(unresolved, NginxStart(Minutes(1)));
        Send(batch);
        _h.AdvanceWallClock(TimeSpan.FromSeconds(20));
        Assert.Empty(_h.DeadLetters());

        _h.AdvanceWallClock(TimeSpan.FromMinutes(1));

        var letter = Assert.Single(_h.DeadLetters());
        Assert.Equal("image-unresolved", letter.Reason);
        Assert.Equal("snapshot-job", letter.Consumer);
        Assert.Equal(_h.Codecs.Batches.Serialize(batch), letter.Value);
        Assert.Empty(ReadSnapshots());
    }

    [Fact]
    public void Malformed_records_are_dead_lettered_and_processing_continues()
    {
        _h.Pipe(Raw, "c-web-1", [0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9], DateTime.UtcNow);
        Send(Batch(Web1, NginxStart(Minutes(1))));
        Send(Batch(Web1, ContainerExit(Minutes(2))));

        var letter = Assert.Single(_h.DeadLetters());
        Assert.Contains(letter.Reason, new[] { "malformed-avro", "unknown-schema" });
        Assert.Equal([0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9], letter.Value);
        Assert.Single(ReadSnapshots());
        Assert.Equal(1, _h.Counter(_h.Metrics.DeadLetters, "snapshot-job", letter.Reason));
    }

    [Fact]
    public void Quiet_containers_are_closed_by_the_wall_clock()
    {
        Send(Batch(Web1, NginxStart(Minutes(1))));
        _h.AdvanceWallClock(TimeSpan.FromMinutes(10));
        Assert.Empty(ReadSnapshots());

        _h.AdvanceWallClock(TimeSpan.FromMinutes(25));

        Assert.Single(ReadSnapshots());
        Assert.Equal(1, _h.Counter(_h.Metrics.WindowCloses, "idle"));
    }

    [Fact]
    public void A_late_exec_is_not_counted_but_still_moves_the_process_in_the_lineage()
    {
        Send(Batch(Web1, NginxStart(Minutes(1))));
        Send(Batch(Web1, Open(Minutes(33), 1, "/etc/nginx/mime.types"))); // closes the first window
        Send(Batch(Web1, Exec(Minutes(20), 1, "/bin/sh", "sh", "-c", "reload"))); // too late for its window
        Send(Batch(Web1, Open(Minutes(34), 1, "/tmp/reload.pid", flags: 0x41)));
        Send(Batch(Web1, ContainerExit(Minutes(35))));

        var second = ReadSnapshots().Select(s => s.Value).Single(s => s.WindowStartUs == Minutes(30));
        var pid = second.Nodes.Single(n => n.Key.Contains("reload.pid", StringComparison.Ordinal));
        var shell = second.Nodes.Single(n => n.Id == pid.ParentId);
        Assert.Equal("/bin/sh -c *", shell.Key);
        Assert.Contains(second.Nodes, n => n.Id == shell.ParentId && n.Key == "/usr/sbin/nginx");
        Assert.Equal(1, _h.Counter(_h.Metrics.LateEvents));
    }
}
