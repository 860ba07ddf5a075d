using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>
/// One process identity: a container's tree is the same whether its processes were first seen by a live exec or by the
/// agent's /proc scan, and whenever its profiling session starts relative to the entrypoint's exec.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class ProcessIdentityTests(Podman podman)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // A forked subshell that never execs (it belongs to its parent's node), applets run through symlinks (/bin/cat →
    // busybox), a builtin read by the shell itself, and a write redirection.
    private const string Workload =
        "( while true; do cat /etc/motd >/dev/null; sleep 1; done ) & while true; do read x < /etc/app.conf; sleep 1; done";

    [Fact]
    public async Task Containers_profiled_before_during_and_after_their_entrypoint_exec_get_the_same_node_ids()
    {
        var image = await podman.ImportImageAsync("identity");
        // Before the agent: found by the /proc scan, their entrypoint long exec'd.
        var ids = new List<string> { await podman.StartAsync(image, Workload), await podman.StartAsync(image, Workload) };
        var publisher = new InMemoryPublisher();
        // Two slots for six containers, rotating every 3 s: profiling begins at many points of each container's life.
        await using var agent = AgentHarness.Start(podman, "identity", publisher, maxProfiled: 2, sessionLength: TimeSpan.FromSeconds(3));
        // While the agent starts, and after it runs: watched from their cgroup's creation, entrypoint exec seen live.
        ids.Add(await podman.StartAsync(image, Workload));
        ids.Add(await podman.StartAsync(image, Workload));
        await Poll.UntilAsync(() => agent.Host.WatchedContainerIds.Count(ids.Contains) == 4, Timeout, "the first four containers to be watched");
        ids.Add(await podman.StartAsync(image, Workload));
        ids.Add(await podman.StartAsync(image, Workload));

        var snapshots = ids.ToDictionary(id => id, _ => new SnapshotJobMirror());
        string[] expectedKeys = ["/bin/busybox sh -c *", "/bin/busybox cat", "/bin/busybox sleep", "/etc/motd", "/etc/app.conf", "/dev/null"];
        await Poll.UntilAsync(() =>
        {
            foreach (var id in ids)
                foreach (var batch in publisher.TakeBatches(id)) snapshots[id].Add(batch);
            return snapshots.Values.All(s => expectedKeys.All(s.Keys().Contains));
        }, Timeout, "every container's profiling sessions to have seen the whole loop");

        var reference = snapshots[ids[0]].NodeIds();
        foreach (var id in ids)
        {
            var nodes = snapshots[id].NodeIds();
            Assert.True(reference.SetEquals(nodes),
                $"container {id[..12]} has nodes {snapshots[id].Describe()}; the first has {snapshots[ids[0]].Describe()}");
        }
        // One shell node: the subshell did not become a nested copy of it.
        Assert.Single(snapshots[ids[0]].Snapshot().Nodes, n => n.Key == "/bin/busybox sh -c *");
    }

    /// <summary>What the snapshot job does with a container's batches: every batch moves the lineage, only profiling
    /// batches count in the snapshot.</summary>
    private sealed class SnapshotJobMirror
    {
        private readonly SnapshotBuilder _builder = new(new ContainerRef("c", "i", "t"), "h", 0, long.MaxValue);

        public void Add(RawEventBatch batch)
        {
            if (batch.Profiling)
            {
                _builder.AddBatch(batch);
                return;
            }
            foreach (var e in batch.Events) _builder.Processes.Apply(e);
        }

        public ActivitySnapshot Snapshot() => _builder.Build();

        public HashSet<ulong> NodeIds() => [.. Snapshot().Nodes.Select(n => n.Id)];

        public IReadOnlyList<string> Keys() => [.. Snapshot().Nodes.Select(n => n.Key)];

        /// <summary>Each node as its path from the root, for a readable failure.</summary>
        public string Describe()
        {
            var nodes = Snapshot().Nodes.ToDictionary(n => n.Id);
            string PathOf(SnapshotNode n) => nodes.TryGetValue(n.ParentId, out var parent) ? $"{PathOf(parent)} › {n.Key}" : n.Key;
            return string.Join("; ", nodes.Values.Select(PathOf).Order(StringComparer.Ordinal));
        }
    }
}
