using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;
using static WorkloadProfiles.Domain.Tests.Events;

namespace WorkloadProfiles.Domain.Tests;

/// <summary>
/// Snapshots and profiles stay under their byte bounds whatever a container does, drop what does not fit explicitly
/// (counted, the tree kept connected) and never recurse on a deep process chain. The encoded sizes themselves are checked
/// against the real codecs in the contract tests (EncodedSizeTests).
/// </summary>
public sealed class ByteBoundTests
{
    private static readonly ContainerRef Web1 = new("c1", "nginx", "1.27");

    /// <summary>A distinct name per number in letters only (path normalization turns digit runs into '*').</summary>
    private static string Letters(int n)
    {
        var text = "";
        do
        {
            text = (char)('a' + n % 26) + text;
            n /= 26;
        }
        while (n > 0);
        return text;
    }

    [Fact]
    public void A_snapshot_of_many_long_paths_stops_at_its_byte_bound_and_counts_the_rest()
    {
        var limits = new SnapshotLimits { MaxBytes = 64 * 1024, SiblingCollapseThreshold = 1_000_000 };
        var builder = new SnapshotBuilder(Web1, "h", 0, 100, limits);
        builder.Add(Exec(1, 1, "/app/server"));
        for (var i = 0; i < 2_000; i++) builder.Add(Open(2, 1, $"/data/{Letters(i)}/" + new string('x', 200)));

        var snapshot = builder.Build();

        Assert.True(snapshot.Truncated);
        Assert.InRange(snapshot.Nodes.Count, 200, 400);
        Assert.Equal(2_000 + 1 - snapshot.Nodes.Count, snapshot.DroppedNodes);
        Assert.Contains(snapshot.Nodes, n => n.Key == "/app/server");
        Assert.Equal(2_001, snapshot.EventCount);
    }

    [Fact]
    public void A_hundred_thousand_deep_exec_chain_builds_without_recursion_and_stays_connected()
    {
        const int depth = 100_000;
        var builder = new SnapshotBuilder(Web1, "h", 0, 100, new SnapshotLimits { MaxNodes = depth + 10, MaxBytes = 64 << 20 });
        // Each process forks a child that execs the next program: every exec nests one level deeper.
        builder.Add(Exec(1, 1, "/bin/step-a"));
        for (var level = 1; level < depth; level++)
        {
            builder.Add(Fork(1, level, level + 1));
            builder.Add(Exec(1, level + 1, $"/bin/step-{Letters(level)}"));
        }

        // A file opened by the deepest process pulls in nothing new: its whole ancestry is already there.
        builder.Add(Open(2, depth, "/tmp/bottom"));
        var snapshot = builder.Build();

        Assert.False(snapshot.Truncated);
        Assert.Equal(depth + 1, snapshot.Nodes.Count);
        var byId = snapshot.Nodes.ToDictionary(n => n.Id);
        var bottom = snapshot.Nodes.Single(n => n.Kind == NodeKind.File);
        var levels = 0;
        for (var id = bottom.ParentId; id != NodeIdentity.Root; id = byId[id].ParentId) levels++;
        Assert.Equal(depth, levels);
    }

    [Fact]
    public void A_deep_chain_first_seen_by_its_deepest_process_enters_top_down_until_the_cap()
    {
        // The process table knows a 50-deep chain from an earlier window; this window sees only the deepest process.
        var table = new ProcessTable();
        table.Apply(Exec(1, 1, "/bin/step-a"));
        for (var level = 1; level < 50; level++)
        {
            table.Apply(Fork(1, level, level + 1));
            table.Apply(Exec(1, level + 1, $"/bin/step-{Letters(level)}"));
        }

        var builder = new SnapshotBuilder(Web1, "h", 0, 100, new SnapshotLimits { MaxNodes = 20 }, table);
        builder.Add(Open(2, 50, "/tmp/bottom"));
        var snapshot = builder.Build();

        // The top 20 of the chain, connected; the 30 processes below and the file are dropped and counted.
        Assert.Equal(20, snapshot.Nodes.Count);
        Assert.Equal(31, snapshot.DroppedNodes);
        var ids = snapshot.Nodes.Select(n => n.Id).ToHashSet();
        Assert.All(snapshot.Nodes, n => Assert.True(n.ParentId == NodeIdentity.Root || ids.Contains(n.ParentId)));
        Assert.Contains(snapshot.Nodes, n => n.Key == "/bin/step-a");
    }

    [Fact]
    public void Trimming_a_process_table_forgets_only_what_no_live_process_reaches()
    {
        var table = new ProcessTable();
        table.Apply(Exec(1, 1, "/bin/init"));
        table.Apply(Fork(1, 1, 2));
        table.Apply(Exec(1, 2, "/bin/worker"));
        for (var i = 0; i < 100; i++)
        {
            table.Apply(Fork(1, 2, 100 + i));
            table.Apply(Exec(1, 100 + i, $"/tmp/job-{Letters(i)}"));
            table.Apply(Exit(1, 100 + i));
        }

        var before = table.Ancestry(2, "worker");
        Assert.Equal(102, table.NodeCount);

        Assert.False(table.Trim(maxNodes: 10));
        Assert.Equal(2, table.NodeCount);
        Assert.Equal(before, table.Ancestry(2, "worker"));
        table.Apply(Fork(2, 2, 500));
        table.Apply(Exec(2, 500, "/tmp/job-a"));
        Assert.Equal(["/bin/init", "/bin/worker", "/tmp/job-a"], table.Ancestry(500, "job").Select(p => p.ExecutablePath));

        // Even the live lineage is over the bound: all of it goes, and a known pid starts again under the root.
        Assert.True(table.Trim(maxNodes: 1));
        Assert.Equal(0, table.NodeCount);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void A_profile_stops_taking_new_nodes_at_its_byte_bound_and_counts_them()
    {
        var policy = new ProfilePolicy { MaxBytes = 32 * 1024 };
        var aggregate = new ProfileAggregate(Snapshots.Nginx, policy);
        for (var s = 0; s < 10; s++)
        {
            var files = Enumerable.Range(0, 100).Select(i => $"/data/s{s}/f{Letters(i)}-" + new string('y', 40)).ToArray();
            var outcome = aggregate.Merge(Snapshots.Of($"snap-{s}", $"c{s}", files), 1);
            Assert.Equal(MergeOutcome.Applied, outcome);
        }

        var profile = aggregate.ToProfile();
        Assert.True(aggregate.EstimatedBytes <= policy.MaxBytes, $"{aggregate.EstimatedBytes} > {policy.MaxBytes}");
        Assert.Equal(1_000, profile.Nodes.Count + profile.DroppedNodes);
        Assert.True(profile.DroppedNodes > 500);
        Assert.Equal(10, profile.SnapshotCount);

        // Known nodes still count later snapshots; only new ones are dropped.
        var known = profile.Nodes[0].Key;
        aggregate.Merge(Snapshots.Of("snap-again", "c0", known, "/data/brand-new"), 2);
        var after = aggregate.ToProfile();
        Assert.Equal(2, after.Nodes.Single(n => n.Key == known).SnapshotCount);
        Assert.Equal(profile.DroppedNodes + 1, after.DroppedNodes);
        Assert.Equal(profile.DroppedNodes + 1, ProfileAggregate.FromProfile(after, policy).DroppedNodes);
    }

    [Fact]
    public void A_profile_truncated_by_its_bound_keeps_a_connected_tree()
    {
        // One snapshot with a process, and under it more files than the bound holds, listed in id order as snapshots are.
        var process = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/app/server");
        var nodes = new List<SnapshotNode> { new() { Id = process, ParentId = NodeIdentity.Root, Kind = NodeKind.Process, Key = "/app/server" } };
        for (var i = 0; i < 500; i++)
        {
            var key = $"/var/{Letters(i)}/" + new string('z', 100);
            nodes.Add(new SnapshotNode { Id = NodeIdentity.Compute(process, NodeKind.File, key), ParentId = process, Kind = NodeKind.File, Key = key });
        }

        var snapshot = Snapshots.Of("s1", "c1") with { Nodes = [.. nodes.OrderBy(n => n.Id)] };
        var aggregate = new ProfileAggregate(Snapshots.Nginx, new ProfilePolicy { MaxBytes = 16 * 1024 });

        Assert.Equal(MergeOutcome.Applied, aggregate.Merge(snapshot, 1));
        var profile = aggregate.ToProfile();
        Assert.Contains(profile.Nodes, n => n.Id == process);
        var ids = profile.Nodes.Select(n => n.Id).ToHashSet();
        Assert.All(profile.Nodes, n => Assert.True(n.ParentId == NodeIdentity.Root || ids.Contains(n.ParentId)));
        Assert.Equal(501, profile.Nodes.Count + profile.DroppedNodes);
    }

    [Fact]
    public void A_snapshot_whose_ids_no_longer_fit_is_rejected_and_counted()
    {
        var policy = new ProfilePolicy { MaxBytes = 4 * 1024 };
        var aggregate = new ProfileAggregate(Snapshots.Nginx, policy);
        var outcomes = Enumerable.Range(0, 40)
            .Select(i => aggregate.Merge(Snapshots.Of($"snapshot-{i}-" + new string('s', 100), $"container-{i}-" + new string('c', 100)), 1))
            .ToList();

        Assert.Contains(MergeOutcome.RejectedFull, outcomes);
        Assert.True(aggregate.EstimatedBytes <= policy.MaxBytes);
        Assert.Equal(outcomes.Count(o => o == MergeOutcome.RejectedFull), aggregate.RejectedSnapshots);
    }
}
