using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Profiles;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>The pure parts of the signals view and the profile charts: group keys, version order, time buckets.</summary>
public sealed class TriageUnitTests
{
    private const long Minute = 60_000_000;

    [Theory]
    [InlineData("1.27", "1.26", true, VersionOrder.ByVersion)]
    [InlineData("1.9", "1.10", false, VersionOrder.ByVersion)]
    [InlineData("v2.0.1", "2.0", true, VersionOrder.ByVersion)]
    [InlineData("3.0.0-rc1", "3.0.0", false, VersionOrder.ByVersion)]
    [InlineData("latest", "1.0", true, VersionOrder.ByFirstSnapshot)]   // not a version: the later profile is newer
    [InlineData("1.0", "1.0.0", true, VersionOrder.ByFirstSnapshot)]    // equal versions: the later profile decides
    public void The_newer_of_two_versions_is_by_number_when_both_are_versions_else_by_first_snapshot(string tag, string other, bool newer, string by)
    {
        // tag's profile always started later here, so the time rule says "newer" whenever it decides.
        Assert.Equal((newer, by), VersionOrder.Compare(tag, 2_000, other, 1_000));
        Assert.Equal((!newer, by), VersionOrder.Compare(other, 1_000, tag, 2_000));
    }

    [Theory]
    [InlineData("00ab00cd00ef0012", true, 0x00ab00cd00ef0012UL)]
    [InlineData("uffffffffffffffff", false, ulong.MaxValue)]
    public void Behaviour_keys_round_trip(string text, bool profiled, ulong value)
    {
        Assert.True(BehaviourKey.TryParse(text, out var key));
        Assert.Equal(new BehaviourKey(profiled, value), key);
        Assert.Equal(text, key.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("u12")]
    [InlineData("00ab00cd00ef001")]
    [InlineData("00ab00cd00ef0012z")]
    [InlineData("x0ab00cd00ef0012")]
    public void Malformed_behaviour_keys_are_refused(string text) => Assert.False(BehaviourKey.TryParse(text, out _));

    [Fact]
    public void The_bucket_grid_is_the_finest_width_that_keeps_a_span_within_sixty_buckets()
    {
        var t0 = 1_000_000L * Minute + 7 * 1_000_000; // not aligned
        var (start, width, count) = ProfileActivity.Grid(t0, t0 + 6 * 60 * Minute);
        Assert.Equal(10 * Minute, width);
        Assert.Equal(0, start % width);
        Assert.True(start <= t0 && t0 < start + width);
        Assert.Equal(37, count);

        Assert.Equal((0L, 60_000_000L, 1), ProfileActivity.Grid(30, 30));
        Assert.Equal(30L * 86400 * 1_000_000, ProfileActivity.Grid(0, 5L * 365 * 86400 * 1_000_000).WidthUs); // widest width, capped count
        Assert.Equal(ProfileActivity.MaxBuckets, ProfileActivity.Grid(0, 5L * 365 * 86400 * 1_000_000).Count);
    }

    [Fact]
    public void Buckets_count_snapshots_containers_new_behaviours_and_signals_with_running_totals()
    {
        var grid = (StartUs: 0L, WidthUs: 10 * Minute, Count: 3);
        var snapshots = new SnapshotPointRow[] { new(0, "a"), new(Minute, "b"), new(10 * Minute, "a"), new(25 * Minute, "c") };
        var nodes = new NodePointRow[] { new("process", 0), new("file", 12 * Minute), new("dns", 29 * Minute), new("network", 29 * Minute) };
        var signals = new BucketCountRow[] { new(1, 7), new(2, 2) };

        var buckets = ProfileActivity.Buckets(grid, snapshots, nodes, signals);

        Assert.Equal([2UL, 1UL, 1UL], buckets.Select(b => b.Snapshots));
        Assert.Equal([2UL, 3UL, 4UL], buckets.Select(b => b.SnapshotsTotal));
        Assert.Equal([2UL, 1UL, 1UL], buckets.Select(b => b.Containers));
        Assert.Equal([2UL, 2UL, 3UL], buckets.Select(b => b.ContainersTotal)); // "a" again in bucket 1 is not new
        Assert.Equal([new(1, 0, 0, 0), new(0, 1, 0, 0), new Api.KindCounts(0, 0, 1, 1)], buckets.Select(b => b.NewBehaviours));
        Assert.Equal([0UL, 7UL, 2UL], buckets.Select(b => b.Signals));
    }

    [Fact]
    public void The_commonality_histogram_has_ten_deciles_and_puts_full_commonality_in_the_last()
    {
        var histogram = ProfileActivity.Histogram([new("process", 9, 3), new("file", 9, 1), new("dns", 0, 2), new("network", 7, 1)]);
        Assert.Equal(10, histogram.Count);
        Assert.Equal(new Api.KindCounts(3, 1, 0, 0), histogram[9].Nodes);
        Assert.Equal(new Api.KindCounts(0, 0, 2, 0), histogram[0].Nodes);
        Assert.Equal((0.7, 0.8), (histogram[7].From, histogram[7].To));
    }
}
