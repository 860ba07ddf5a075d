using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Explorer.Api;
using WorkloadProfiles.Explorer.Data;

namespace WorkloadProfiles.Explorer.Profiles;

/// <summary>
/// Turns a profile's flat node rows into the process tree the page draws: processes nest under their parent process,
/// file/DNS/network nodes hang off the process that did them. Nodes whose parent is missing (a truncated read) or
/// that sit on a cycle cannot be placed; they are counted, not silently lost.
/// </summary>
/// <remarks>
/// Iterative, with an explicit stack: a container decides how deep its process chain grows (a chain of thousands of
/// execs is one shell loop away), so nothing here or in its JSON form (<see cref="ProcessNodeJsonConverter"/>) recurses.
/// </remarks>
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
            .Select(n => Process(n, byParent, ref placed))
            .ToList();
        return new Result(roots, nodes.Count - placed);
    }

    /// <summary>The subtree of one top-level process, built bottom-up: a node is made once all its children are.</summary>
    private static ProcessNode Process(NodeRow top, ILookup<ulong, NodeRow> byParent, ref int placed)
    {
        var onPath = new HashSet<ulong>();
        var stack = new Stack<Frame>();
        stack.Push(new Frame(top, byParent[top.NodeId].OrderBy(n => n.Key, StringComparer.Ordinal).ToList()));
        onPath.Add(top.NodeId);
        while (true)
        {
            var frame = stack.Peek();
            if (frame.Next < frame.Below.Count)
            {
                var child = frame.Below[frame.Next++];
                // A process already on the path from the top is a cycle: not descended into again.
                if (child.Kind != "process" || !onPath.Add(child.NodeId)) continue;
                stack.Push(new Frame(child, byParent[child.NodeId].OrderBy(n => n.Key, StringComparer.Ordinal).ToList()));
                continue;
            }

            stack.Pop();
            onPath.Remove(frame.Row.NodeId);
            var files = Leaves(frame.Below, "file");
            var dns = Leaves(frame.Below, "dns");
            var network = Leaves(frame.Below, "network");
            placed += 1 + files.Count + dns.Count + network.Count;
            var node = new ProcessNode(
                NodeIdentity.Format(frame.Row.NodeId), frame.Row.Key, ExecutableOf(frame.Row.Key), frame.Row.Commonality,
                frame.Row.ContainerCommonality, frame.Row.SnapshotCount, frame.Row.ContainerCount, frame.Row.EventCount,
                Time.FromMicros(frame.Row.FirstSeenUs), Time.FromMicros(frame.Row.LastSeenUs),
                frame.Children, files, dns, network, Signatures(frame.Row), frame.Row.SignaturesOverflowed != 0);
            if (stack.Count == 0) return node;
            stack.Peek().Children.Add(node);
        }
    }

    private sealed class Frame(NodeRow row, List<NodeRow> below)
    {
        public NodeRow Row { get; } = row;
        public List<NodeRow> Below { get; } = below;
        public List<ProcessNode> Children { get; } = [];
        public int Next { get; set; }
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
    /// The executable path of a process key: the key is the normalized path, then — only for shells, interpreters and
    /// busybox — a space and the argv pattern or applet, e.g. <c>/bin/sh -c *</c>, <c>/bin/busybox wget</c>. A path may
    /// itself contain spaces (<c>/opt/My App/bin/run</c>), so the key is cut at the first space that follows such a
    /// program's name, and kept whole otherwise.
    /// </summary>
    public static string ExecutableOf(string processKey)
    {
        for (var space = processKey.IndexOf(' ', StringComparison.Ordinal); space > 0; space = processKey.IndexOf(' ', space + 1))
        {
            var path = processKey.AsSpan(0, space);
            if (NodeIdentity.TakesArgumentPattern(path[(path.LastIndexOf('/') + 1)..])) return processKey[..space];
        }
        return processKey;
    }
}

/// <summary>Microsecond timestamps (the warehouse's exact columns) as UTC instants.</summary>
internal static class Time
{
    /// <remarks>Clamped to what <see cref="DateTimeOffset"/> holds: an exact column may hold any long a record carried.</remarks>
    public static DateTimeOffset FromMicros(long micros) =>
        micros >= MaxMicros ? DateTimeOffset.MaxValue
        : micros <= MinMicros ? DateTimeOffset.MinValue
        : DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);

    private static readonly long MaxMicros = (DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
    private static readonly long MinMicros = (DateTimeOffset.MinValue - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    public static DateTimeOffset? FromMicros(long? micros) => micros is { } value ? FromMicros(value) : null;
}
