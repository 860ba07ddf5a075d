using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using static WorkloadProfiles.Domain.Tests.Snapshots;

namespace WorkloadProfiles.Domain.Tests;

public class ProfileAggregateTests
{
    private const long Hour = 3_600_000_000;

    [Fact]
    public void Commonality_of_a_b__a__a_c_is_0_6()
    {
        var profile = new ProfileAggregate(Nginx);
        profile.Merge(Of("s1", "c1", "a", "b"), 100);
        profile.Merge(Of("s2", "c2", "a"), 100);
        profile.Merge(Of("s3", "c3", "a", "c"), 100);

        // Σs = 3+1+1 = 5, Σs(s−1) = 6, /((3−1)·5) = 0.6.
        var published = profile.ToProfile();
        Assert.Equal(0.6, published.Commonality, 12);
        var a = published.Nodes.Single(n => n.Key == "a");
        Assert.Equal(3, a.SnapshotCount);
        Assert.Equal(1.0, a.Commonality);
        Assert.Equal(1.0 / 3, published.Nodes.Single(n => n.Key == "b").Commonality, 12);
        Assert.Equal(3, published.SnapshotCount);
        Assert.Equal(3, published.ContainerCount);
    }

    [Theory]
    [InlineData(new[] { "a,b", "a,b", "a,b" }, 1.0)]
    [InlineData(new[] { "a", "b" }, 0.0)]
    [InlineData(new[] { "a,b" }, 1.0)]
    [InlineData(new[] { "a,b", "a" }, 2.0 / 3)] // Σs = 3, Σs(s−1) = 2, /(1·3)
    public void Profile_commonality(string[] snapshots, double expected)
    {
        var profile = new ProfileAggregate(Nginx);
        for (var i = 0; i < snapshots.Length; i++) profile.Merge(Of($"s{i}", $"c{i}", snapshots[i].Split(',')), 1);
        Assert.Equal(expected, profile.Commonality, 12);
    }

    [Fact]
    public void Commonality_without_snapshots_is_zero_and_with_only_empty_snapshots_is_one()
    {
        var profile = new ProfileAggregate(Nginx);
        Assert.Equal(0.0, profile.Commonality);
        profile.Merge(Of("s1", "c1"), 1);
        profile.Merge(Of("s2", "c2"), 1);
        Assert.Equal(1.0, profile.Commonality);
    }

    [Fact]
    public void One_noisy_container_does_not_dominate_container_commonality()
    {
        var profile = new ProfileAggregate(Nginx);
        for (var i = 0; i < 8; i++) profile.Merge(Of($"noisy-{i}", "c-noisy", "a", "odd"), 1);
        profile.Merge(Of("q1", "c-quiet-1", "a"), 1);
        profile.Merge(Of("q2", "c-quiet-2", "a"), 1);

        var odd = profile.ToProfile().Nodes.Single(n => n.Key == "odd");
        Assert.Equal(0.8, odd.Commonality, 12);
        Assert.Equal(1, odd.ContainerCount);
        Assert.Equal(1.0 / 3, odd.ContainerCommonality, 12);
    }

    [Fact]
    public void Merge_unions_node_stats()
    {
        var profile = new ProfileAggregate(Nginx);
        profile.Merge(Of("s1", "c1") with { Nodes = [File("a", 50, 60)] }, 1);
        profile.Merge(Of("s2", "c1") with { Nodes = [File("a", 10, 30, Domain.Identity.FileAccessMode.Write)] }, 1);
        var a = profile.ToProfile().Nodes.Single();
        Assert.Equal(10, a.FirstSeenUs);
        Assert.Equal(60, a.LastSeenUs);
        Assert.Equal(2, a.EventCount);
        Assert.Equal(Domain.Identity.FileAccessMode.Read | Domain.Identity.FileAccessMode.Write, a.Access);
        Assert.Equal(1, a.ContainerCount);
        Assert.Equal(2, a.SnapshotCount);
    }

    [Fact]
    public void Stable_at_the_snapshot_count_then_rejects_and_counts()
    {
        var profile = new ProfileAggregate(Nginx);
        for (var i = 0; i < 199; i++) Assert.Equal(MergeOutcome.Applied, profile.Merge(Of($"s{i}", $"c{i % 7}", "a"), 1_000 + i));
        Assert.Equal(ProfileStatus.Learning, profile.Status);

        Assert.Equal(MergeOutcome.Applied, profile.Merge(Of("s199", "c0", "a"), 5_000));
        Assert.Equal(ProfileStatus.Stable, profile.Status);
        Assert.Equal(5_000, profile.StableSinceUs);

        var before = profile.ToProfile();
        Assert.Equal(MergeOutcome.RejectedStable, profile.Merge(Of("late", "c9", "b"), 6_000));
        var after = profile.ToProfile();
        Assert.Equal(1, after.RejectedSnapshots);
        Assert.Equal(200, after.SnapshotCount);
        Assert.Equal(before.Nodes.Count, after.Nodes.Count);
        Assert.DoesNotContain("late", after.SnapshotIds);
        Assert.True(after.Revision > before.Revision);
    }

    [Fact]
    public void Stable_48_hours_after_the_first_processed_snapshot_via_tick()
    {
        var profile = new ProfileAggregate(Nginx);
        Assert.False(profile.Tick(100 * Hour)); // the clock has not started
        profile.Merge(Of("s1", "c1", "a"), 10 * Hour);
        profile.Merge(Of("s2", "c1", "a"), 20 * Hour);

        Assert.False(profile.Tick(58 * Hour - 1));
        Assert.Equal(ProfileStatus.Learning, profile.Status);
        Assert.True(profile.Tick(58 * Hour));
        Assert.Equal(ProfileStatus.Stable, profile.Status);
        Assert.Equal(58 * Hour, profile.StableSinceUs);
        Assert.False(profile.Tick(60 * Hour));
        Assert.Equal(10 * Hour, profile.ToProfile().FirstProcessedUs);
    }

    [Fact]
    public void Time_rule_is_also_applied_on_merge()
    {
        var profile = new ProfileAggregate(Nginx, new ProfilePolicy { StableAfter = TimeSpan.FromHours(1) });
        profile.Merge(Of("s1", "c1", "a"), 0);
        Assert.Equal(MergeOutcome.RejectedStable, profile.Merge(Of("s2", "c1", "a"), Hour));
        Assert.Equal(ProfileStatus.Stable, profile.Status);
        Assert.Equal(1, profile.SnapshotCount);
        Assert.Equal(1, profile.RejectedSnapshots);
    }

    [Fact]
    public void Replayed_snapshots_are_counted_as_duplicates_not_applied()
    {
        var profile = new ProfileAggregate(Nginx);
        profile.Merge(Of("s1", "c1", "a"), 1);
        Assert.Equal(MergeOutcome.Duplicate, profile.Merge(Of("s1", "c1", "a", "b"), 2));
        var published = profile.ToProfile();
        Assert.Equal(1, published.SnapshotCount);
        Assert.Equal(1, published.DuplicateSnapshots);
        Assert.Single(published.Nodes);
        Assert.Equal(1, published.Nodes[0].SnapshotCount);
    }

    [Fact]
    public void Another_image_version_is_another_profile()
    {
        var profile = new ProfileAggregate(Nginx);
        var next = new ProfileKey("nginx", "1.28");
        Assert.Equal(MergeOutcome.WrongProfile, profile.Merge(Of("s1", "c1", "host-1", next, "a"), 1));
        Assert.Equal(MergeOutcome.WrongProfile, profile.Merge(Of("s2", "c2") with { Container = new ContainerRef("c2", null, null) }, 1));
        Assert.Equal(0, profile.SnapshotCount);

        var fresh = new ProfileAggregate(next);
        Assert.Equal(MergeOutcome.Applied, fresh.Merge(Of("s1", "c1", "host-1", next, "a"), 1));
        Assert.Equal(1.0, fresh.ToProfile().Nodes.Single().Commonality);
    }

    [Fact]
    public void Revision_counts_every_change()
    {
        var profile = new ProfileAggregate(Nginx, new ProfilePolicy { StableSnapshotCount = 2 });
        profile.Merge(Of("s1", "c1", "a"), 1); // 1
        profile.Merge(Of("s1", "c1", "a"), 1); // duplicate: 2
        profile.Merge(Of("s2", "c1", "a"), 1); // applied 3, stable 4
        profile.Merge(Of("s3", "c1", "a"), 1); // rejected: 5
        Assert.Equal(5, profile.Revision);
    }

    [Fact]
    public void Counts_snapshots_containers_and_hosts()
    {
        var profile = new ProfileAggregate(Nginx);
        profile.Merge(Of("s1", "c1", "host-a", Nginx, "a"), 1);
        profile.Merge(Of("s2", "c1", "host-a", Nginx, "a"), 1);
        profile.Merge(Of("s3", "c2", "host-b", Nginx, "a"), 1);
        var published = profile.ToProfile();
        Assert.Equal((3L, 2L, 2L), (published.SnapshotCount, published.ContainerCount, published.HostCount));
        Assert.Equal(["host-a", "host-b"], published.HostNames);
        Assert.Equal(["c1", "c2"], published.ContainerIds);
    }

    [Fact]
    public void Restores_exactly_from_its_published_form_and_keeps_counting_containers_correctly()
    {
        var live = new ProfileAggregate(Nginx);
        // Containers arrive out of ordinal order so publishing has to remap the per-node container bits.
        live.Merge(Of("s1", "c9", "a", "b"), 1);
        live.Merge(Of("s2", "c1", "a"), 2);
        live.Merge(Of("s3", "c5", "a", "c"), 3);
        live.Merge(Of("s1", "c9", "a"), 4);

        var published = live.ToProfile();
        var restored = ProfileAggregate.FromProfile(published);
        Assert.Equal(Canonical(published), Canonical(restored.ToProfile()));

        // The restored aggregate knows c9 already contributed "b", so another c9 snapshot does not count a new container.
        live.Merge(Of("s4", "c9", "b"), 5);
        restored.Merge(Of("s4", "c9", "b"), 5);
        Assert.Equal(Canonical(live.ToProfile()), Canonical(restored.ToProfile()));
        Assert.Equal(1, restored.ToProfile().Nodes.Single(n => n.Key == "b").ContainerCount);
    }

    [Fact]
    public void Restore_rejects_inconsistent_container_bits()
    {
        var live = new ProfileAggregate(Nginx);
        live.Merge(Of("s1", "c1", "a"), 1);
        var published = live.ToProfile();
        var broken = published with { Nodes = [published.Nodes[0] with { ContainerBits = [] }] };
        var error = Assert.Throws<FormatException>(() => ProfileAggregate.FromProfile(broken));
        Assert.Contains("container bits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_listed_twice_in_one_snapshot_counts_once()
    {
        var profile = new ProfileAggregate(Nginx);
        profile.Merge(Of("s1", "c1") with { Nodes = [File("a"), File("a")] }, 1);
        profile.Merge(Of("s2", "c1", "b"), 1);
        var published = profile.ToProfile();
        Assert.Equal(1, published.Nodes.Single(n => n.Key == "a").SnapshotCount);
        Assert.Equal(0.0, published.Commonality);
    }
}
