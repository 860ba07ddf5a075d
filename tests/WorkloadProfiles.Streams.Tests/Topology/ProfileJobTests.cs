using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Profiles;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Topology;

public sealed class ProfileJobTests : IDisposable
{
    static readonly string SnapshotTopic = PipelineTopics.Snapshots.Name;
    static readonly string ProfileTopic = PipelineTopics.Profiles.Name;

    readonly TopologyHarness _h = new(new StreamsJobOptions
    {
        Jobs = StreamJobs.Profiles,
        Profiles = new ProfileJobOptions
        {
            Policy = new ProfilePolicy { StableSnapshotCount = 200, StableAfter = TimeSpan.FromHours(48) },
            TickInterval = TimeSpan.FromMinutes(10),
        },
    });

    public void Dispose() => _h.Dispose();

    /// <summary>A snapshot of <paramref name="container"/> for window number <paramref name="window"/> built by the domain builder.</summary>
    static ActivitySnapshot Snapshot(ContainerRef container, int window, params string[] extraFiles)
    {
        var start = Minutes(30 * window);
        var builder = new SnapshotBuilder(container, "node-1", start, start + Minutes(30) - T0);
        builder.AddRange(NginxStart(start + 1));
        foreach (var file in extraFiles)
        {
            builder.Add(Open(start + 100, 1, file));
        }

        return builder.Build();
    }

    void Send(ActivitySnapshot snapshot) =>
        _h.Pipe(SnapshotTopic, snapshot.Container.ProfileKey!.Value.ToString(), _h.Codecs.Snapshots.Serialize(snapshot));

    List<(string Key, SecurityProfile Value)> Profiles() => _h.Read(ProfileTopic, _h.Codecs.Profiles);

    [Fact]
    public void Snapshots_merge_into_one_learning_profile_published_on_every_change()
    {
        Send(Snapshot(Web1, 0));
        Send(Snapshot(Web2, 0, "/etc/nginx/extra.conf"));

        var published = Profiles();
        Assert.Equal(2, published.Count);
        Assert.All(published, p => Assert.Equal("nginx@1.27", p.Key));
        var last = published[^1].Value;
        Assert.Equal(ProfileStatus.Learning, last.Status);
        Assert.Equal(2, last.SnapshotCount);
        Assert.Equal(2, last.ContainerCount);
        var extra = Assert.Single(last.Nodes, n => n.Key.Contains("extra.conf", StringComparison.Ordinal));
        Assert.Equal(0.5, extra.Commonality);
        var config = Assert.Single(last.Nodes, n => n.Key == "/etc/nginx/nginx.conf");
        Assert.Equal(1.0, config.Commonality);
        Assert.True(published[1].Value.Revision > published[0].Value.Revision);
    }

    [Fact]
    public void Profile_turns_stable_at_the_snapshot_threshold_and_then_rejects_snapshots()
    {
        for (var i = 0; i < 200; i++)
        {
            Send(Snapshot(i % 2 == 0 ? Web1 : Web2, i));
        }

        var published = Profiles();
        Assert.Equal(200, published.Count);
        Assert.Equal(ProfileStatus.Learning, published[198].Value.Status);
        var stable = published[199].Value;
        Assert.Equal(ProfileStatus.Stable, stable.Status);
        Assert.Equal(200, stable.SnapshotCount);
        Assert.Equal(1, _h.Counter(_h.Metrics.ProfilesStabilised, "snapshot-count"));

        Send(Snapshot(Web1, 500, "/tmp/new-behaviour"));

        var after = Assert.Single(Profiles()).Value;
        Assert.Equal(ProfileStatus.Stable, after.Status);
        Assert.Equal(200, after.SnapshotCount);
        Assert.Equal(1, after.RejectedSnapshots);
        Assert.DoesNotContain(after.Nodes, n => n.Key.Contains("new-behaviour", StringComparison.Ordinal));
        Assert.Equal(stable.Nodes.Select(n => (n.Id, n.SnapshotCount)), after.Nodes.Select(n => (n.Id, n.SnapshotCount)));
        Assert.Equal(1, _h.Counter(_h.Metrics.ProfileMerges, nameof(MergeOutcome.RejectedStable)));
        Assert.Equal(1, _h.Counter(_h.Metrics.ProfilesStabilised, "snapshot-count")); // a rejected snapshot does not count again
    }

    [Fact]
    public void Wall_clock_punctuator_makes_a_profile_stable_after_48_hours_without_snapshots()
    {
        Send(Snapshot(Web1, 0));
        Assert.Equal(ProfileStatus.Learning, Assert.Single(Profiles()).Value.Status);

        // The driver's clock overshoots each step by at most a tenth: 40 h stays below 44 h, the next 10 h pass 48 h.
        _h.AdvanceWallClock(TimeSpan.FromHours(40), step: TimeSpan.FromHours(1));
        Assert.Empty(Profiles());

        _h.AdvanceWallClock(TimeSpan.FromHours(10), step: TimeSpan.FromHours(1));

        var stable = Assert.Single(Profiles());
        Assert.Equal("nginx@1.27", stable.Key);
        Assert.Equal(ProfileStatus.Stable, stable.Value.Status);
        Assert.Equal(1, stable.Value.SnapshotCount);
        Assert.NotNull(stable.Value.StableSinceUs);
        Assert.Equal(1, _h.Counter(_h.Metrics.ProfilesStabilised, "time"));
        Assert.Equal(0, _h.Counter(_h.Metrics.ProfilesStabilised, "snapshot-count"));
    }

    [Fact]
    public void A_tick_while_the_store_restores_waits_for_the_restore_to_end()
    {
        var options = new StreamsJobOptions
        {
            Jobs = StreamJobs.Profiles,
            Profiles = new ProfileJobOptions
            {
                Policy = new ProfilePolicy { StableSnapshotCount = 200, StableAfter = TimeSpan.FromHours(48) },
                TickInterval = TimeSpan.FromMinutes(10),
            },
        };
        using var first = new TopologyHarness(options);
        first.Pipe(SnapshotTopic, "nginx@1.27", first.Codecs.Snapshots.Serialize(Snapshot(Web1, 0)));
        var stored = first.Store(ProfileAggregationProcessor.StoreName).All().ToList();
        Assert.NotEmpty(stored);

        // Restarted: Streamiz ticks the task before its store is restored (here: before anything is); the restore then
        // brings the learning profile, and the time rule must still find it.
        using var restarted = new TopologyHarness(options);
        restarted.Input(SnapshotTopic);
        restarted.AdvanceWallClock(TimeSpan.FromMinutes(20), step: TimeSpan.FromMinutes(10));
        restarted.Restore(ProfileAggregationProcessor.StoreName, stored.Select(e => (e.Key, (byte[]?)e.Value)));
        restarted.AdvanceWallClock(TimeSpan.FromHours(50), step: TimeSpan.FromHours(1));

        var stable = Assert.Single(restarted.Read(ProfileTopic, restarted.Codecs.Profiles));
        Assert.Equal(ProfileStatus.Stable, stable.Value.Status);
        Assert.Equal(1, stable.Value.SnapshotCount);
    }

    [Fact]
    public void A_new_image_version_starts_a_new_profile()
    {
        Send(Snapshot(Web1, 0));
        Send(Snapshot(Web1 with { Id = "c-web-v2", ImageTag = "1.28" }, 0, "/etc/nginx/new-in-1.28.conf"));

        var published = Profiles();
        Assert.Equal(["nginx@1.27", "nginx@1.28"], published.Select(p => p.Key));
        var v2 = published[1].Value;
        Assert.Equal(new ProfileKey("nginx", "1.28"), v2.Key);
        Assert.Equal(1, v2.SnapshotCount);
        Assert.All(v2.Nodes, n => Assert.Equal(1.0, n.Commonality));
    }

    [Fact]
    public void A_replayed_snapshot_is_counted_as_duplicate_not_merged_twice()
    {
        var snapshot = Snapshot(Web1, 0);
        Send(snapshot);
        Send(Snapshot(Web2, 0));
        Send(snapshot);

        var last = Profiles()[^1].Value;
        Assert.Equal(2, last.SnapshotCount);
        Assert.Equal(1, last.DuplicateSnapshots);
        Assert.All(last.Nodes.Where(n => n.Key == "/etc/nginx/nginx.conf"), n => Assert.Equal(2, n.SnapshotCount));
    }

    [Fact]
    public void Malformed_snapshots_are_dead_lettered()
    {
        _h.Pipe(SnapshotTopic, "nginx@1.27", [1, 2, 3]);
        Send(Snapshot(Web1, 0));

        var letter = Assert.Single(_h.DeadLetters());
        Assert.Equal("profile-job", letter.Consumer);
        Assert.Equal(SnapshotTopic, letter.SourceTopic);
        Assert.Single(Profiles());
    }
}
