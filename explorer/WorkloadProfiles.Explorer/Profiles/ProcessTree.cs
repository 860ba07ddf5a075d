using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Explorer.Api;
using WorkloadProfiles.Explorer.Data;

namespace WorkloadProfiles.Explorer.Profiles;

/// <summary>
/// Turns a profile's flat node rows into the process tree the page draws: processes nest under their parent process,
/// file/DNS/network nodes hang off the process that did them. Nodes whose parent is missing (a truncated read) or
/// that sit on a cycle cannot be placed; they are counted, not silently lost.
/// </summary>
internal static class ProcessTree
{
    public sealed record Result(IReadOnlyList<ProcessNode> Roots, int Unattached);

    public static Result Build(IReadOnlyList<NodeRow> nodes)
    {
        var byParent = nodes.ToLookup(n => n.ParentId);
        var processIds = nodes.Where(n => n.Kind == "process").Select(n => n.NodeId).ToHashSet();
        var placed = 0;

        // Top-level processes hang off the container root (0); a process whose parent is not a known process is shown
        // at the top too, since its own behaviour is still real.
        var roots = nodes
            .Where(n => n.Kind == "process" && (n.ParentId == NodeIdentity.Root || !processIds.Contains(n.ParentId)))
            .OrderBy(n => n.Key, StringComparer.Ordinal)
            .Select(n => Process(n, byParent, new HashSet<ulong>(), ref placed))
            .ToList();
        return new Result(roots, nodes.Count - placed);
    }

    private static ProcessNode Process(NodeRow node, ILookup<ulong, NodeRow> byParent, HashSet<ulong> path, ref int placed)
    {
        placed++;
        path.Add(node.NodeId);
        var below = byParent[node.NodeId].OrderBy(n => n.Key, StringComparer.Ordinal).ToList();
        var children = new List<ProcessNode>();
        foreach (var child in below.Where(n => n.Kind == "process" && !path.Contains(n.NodeId)))
        {
            children.Add(Process(child, byParent, path, ref placed));
        }
        path.Remove(node.NodeId);

        var files = Leaves(below, "file");
        var dns = Leaves(below, "dns");
        var network = Leaves(below, "network");
        placed += files.Count + dns.Count + network.Count;
        return new ProcessNode(
            NodeIdentity.Format(node.NodeId), node.Key, ExecutableOf(node.Key), node.Commonality, node.ContainerCommonality,
            node.SnapshotCount, node.ContainerCount, node.EventCount, Time.FromMicros(node.FirstSeenUs), Time.FromMicros(node.LastSeenUs),
            children, files, dns, network, Signatures(node), node.SignaturesOverflowed != 0);
    }

    private static List<SignatureView> Signatures(NodeRow node)
    {
        var texts = node.Signatures ?? [];
        var counts = node.SignatureSnapshotCounts ?? [];
        var commonalities = node.SignatureCommonalities ?? [];
        return [.. texts.Select((text, i) => new SignatureView(text, i < counts.Length ? counts[i] : 0, i < commonalities.Length ? commonalities[i] : 0))];
    }

    private static List<BehaviourLeaf> Leaves(List<NodeRow> below, string kind) =>
        below.Where(n => n.Kind == kind).Select(Leaf).ToList();

    public static BehaviourLeaf Leaf(NodeRow n) => new(
        NodeIdentity.Format(n.NodeId), n.Kind, n.Key, n.Access, n.Commonality, n.ContainerCommonality, n.SnapshotCount,
        n.ContainerCount, n.EventCount, Time.FromMicros(n.FirstSeenUs), Time.FromMicros(n.LastSeenUs));

    /// <summary>
    /// The executable path of a process key: the key is the normalized path, then (for shells and interpreters) a space and
    /// the argv pattern, e.g. <c>/bin/sh -c *</c>. busybox keys keep their applet (<c>/bin/busybox wget</c>), which is not a path.
    /// </summary>
    public static string ExecutableOf(string processKey)
    {
        var space = processKey.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? processKey : processKey[..space];
    }
}

/// <summary>Microsecond timestamps (the warehouse's exact columns) as UTC instants.</summary>
internal static class Time
{
    public static DateTimeOffset FromMicros(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);

    public static DateTimeOffset? FromMicros(long? micros) => micros is { } value ? FromMicros(value) : null;
}
