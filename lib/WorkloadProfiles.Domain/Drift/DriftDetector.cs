using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Normalization;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Domain.Drift;

/// <summary>A behaviour its image's profile never saw.</summary>
public sealed record DriftFinding
{
    public required NodeKind Kind { get; init; }
    /// <summary>The node the behaviour maps to (same identity and normalization as snapshots).</summary>
    public required ulong NodeId { get; init; }
    public required string NodeKey { get; init; }
    /// <summary>What makes two findings the same drift: the node, and for an exec on a known node its unseen signature.</summary>
    public required ulong DedupKey { get; init; }
    /// <summary>An exec on a node the profile knows, with an argument signature it never saw on that node.</summary>
    public string? UnseenSignature { get; init; }
    /// <summary>A write to a file node the profile only saw read.</summary>
    public bool WriteOfReadOnlyNode { get; init; }
    /// <summary>The acting process's image (the exec'd one for an exec).</summary>
    public required ProcessImage Image { get; init; }
    /// <summary>The node's path in the tree, root first: process keys, then the leaf key.</summary>
    public required IReadOnlyList<string> Path { get; init; }
    /// <summary>The deepest node on the path the profile knows (<see cref="NodeIdentity.Root"/> when none).</summary>
    public ulong ClosestKnownId { get; init; }
    public string? ClosestKnownKey { get; init; }

    public string RuleId => DriftRules.RuleOf(Kind);

    /// <summary>Why it is drift, for the signal's message.</summary>
    public string Reason => UnseenSignature is not null
        ? $"{NodeKey} ran with arguments its profile never saw (`{(UnseenSignature.Length == 0 ? "no arguments" : UnseenSignature)}`)"
        : WriteOfReadOnlyNode ? $"{NodeKey} was written; its profile only saw it read"
        : ClosestKnownKey is null ? $"{NodeKey} is not in its profile, nor is any process above it"
        : $"{NodeKey} is not in its profile (closest known ancestor: {ClosestKnownKey})";
}

/// <summary>
/// Finds drift: an event of a container whose node (or, for an exec, whose argument signature on its node) is not in the
/// <see cref="DriftBaseline"/> of the container's image. Call it with the container's <see cref="ProcessTable"/> after the
/// event's lineage was applied, so an exec is judged as the program it became.
/// </summary>
/// <remarks>
/// A process whose lineage the table only guessed (a pid whose exec it never saw, e.g. before a restart of the
/// collector without lineage) is never drift: its node would be new only because it is unknown. Leaf nodes are computed
/// exactly as <see cref="SnapshotBuilder"/> does (file, DNS and network keys, truncation), a file also matches the
/// sibling pattern the profile may hold instead of the path; leaf ids are cached per (process node, raw value).
/// Not thread-safe: one detector per stream task.
/// </remarks>
public sealed class DriftDetector
{
    private const int WriteFlags = 0x1 | 0x2 | 0x40 | 0x200;
    private const int MaxCachedLeaves = 65_536;
    private readonly int _maxKeyLength;
    private readonly Dictionary<(ulong Parent, NodeKind Kind, string Raw, int Detail), Leaf> _leaves = [];

    public DriftDetector(int maxKeyLength = NodeIdentity.DefaultMaxKeyLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeyLength, 32);
        _maxKeyLength = maxKeyLength;
    }

    /// <summary>Events skipped because the acting process's lineage was guessed.</summary>
    public long UnresolvedLineage { get; private set; }

    public DriftFinding? Inspect(RawEvent e, ProcessTable processes, DriftBaseline baseline, DriftKinds kinds)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(processes);
        ArgumentNullException.ThrowIfNull(baseline);
        if (e.Rescan) return null; // a process re-read from /proc was judged when first reported
        var wanted = e.Kind switch
        {
            EventKind.Exec => DriftKinds.Exec,
            EventKind.Dns => DriftKinds.Dns,
            EventKind.Connect => DriftKinds.Connect,
            EventKind.Open when (e.FileFlags & WriteFlags) != 0 => DriftKinds.FileWrite,
            EventKind.Open => DriftKinds.FileRead,
            _ => DriftKinds.None,
        };
        if (wanted == DriftKinds.None || (kinds & wanted) == 0 || SnapshotBuilder.Validate(e) is not null) return null;

        var image = processes.ImageOf(e.Pid, e.Comm);
        if (image.HasGuessedLineage)
        {
            UnresolvedLineage++;
            return null;
        }

        if (e.Kind == EventKind.Exec)
        {
            if (!baseline.Contains(image.NodeId)) return Finding(NodeKind.Process, image.NodeId, KeyOf(processes, image), image.NodeId, image, processes, baseline, leafKey: null);
            var signature = image.Signature;
            if (baseline.KnowsSignature(image.NodeId, signature)) return null;
            return Finding(NodeKind.Process, image.NodeId, KeyOf(processes, image), SignatureKey(image.NodeId, signature), image, processes, baseline,
                leafKey: null) with { UnseenSignature = signature };
        }

        var (kind, raw, detail) = e.Kind switch
        {
            EventKind.Open => (NodeKind.File, e.FilePath!, 0),
            EventKind.Dns => (NodeKind.Dns, e.DnsQuestionName!, 0),
            _ => (NodeKind.Network, e.DestinationAddress ?? "", (e.DestinationPort << 2) | ((int)e.Transport & 3)),
        };
        var leaf = LeafOf(image.NodeId, kind, raw, detail, e);
        var known = baseline.Contains(leaf.Id) ? leaf.Id
            : kind == NodeKind.File && baseline.Contains(leaf.PatternId) ? leaf.PatternId
            : NodeIdentity.Root;
        if (known == NodeIdentity.Root) return Finding(kind, leaf.Id, leaf.Key, leaf.Id, image, processes, baseline, leaf.Key);
        if (wanted == DriftKinds.FileWrite && !baseline.SawWritten(known))
            return Finding(kind, known, leaf.Key, known ^ 0x5772697465UL, image, processes, baseline, leaf.Key) with { WriteOfReadOnlyNode = true };
        return null;
    }

    private DriftFinding Finding(NodeKind kind, ulong nodeId, string key, ulong dedupKey, ProcessImage image, ProcessTable processes,
        DriftBaseline baseline, string? leafKey)
    {
        var chain = new List<ProcessImage>();
        for (var i = image; i is not null; i = i.Parent) chain.Add(i);
        chain.Reverse();
        var path = new List<string>(chain.Count + 1);
        ulong closest = NodeIdentity.Root;
        string? closestKey = null;
        foreach (var process in chain)
        {
            var processKey = KeyOf(processes, process);
            path.Add(processKey);
            // The acting process itself counts as an ancestor of a leaf, not of its own exec.
            if ((leafKey is not null || process != image) && baseline.Contains(process.NodeId))
            {
                closest = process.NodeId;
                closestKey = processKey;
            }
        }
        if (leafKey is not null) path.Add(leafKey);
        return new DriftFinding
        {
            Kind = kind,
            NodeId = nodeId,
            NodeKey = key,
            DedupKey = dedupKey,
            Image = image,
            Path = path,
            ClosestKnownId = closest,
            ClosestKnownKey = closestKey,
        };
    }

    private static string KeyOf(ProcessTable processes, ProcessImage image) =>
        processes.TryGetNode(image.NodeId, out var node) ? node.Key : NodeIdentity.ProcessKey(image.Process.ExecutablePath, image.Process.Args);

    private Leaf LeafOf(ulong parent, NodeKind kind, string raw, int detail, RawEvent e)
    {
        var source = (parent, kind, raw, detail);
        if (_leaves.Count >= MaxCachedLeaves && !_leaves.ContainsKey(source)) _leaves.Clear();
        ref var leaf = ref CollectionsMarshal.GetValueRefOrAddDefault(_leaves, source, out var cached);
        if (cached) return leaf;
        var key = kind switch
        {
            NodeKind.File => NodeIdentity.FileKey(raw),
            NodeKind.Dns => NodeIdentity.DnsKey(raw),
            _ => NodeIdentity.NetworkKey(e.Transport, e.DestinationPort, e.DestinationAddress),
        };
        key = NodeIdentity.TruncateKey(key, _maxKeyLength);
        var pattern = kind == NodeKind.File
            ? NodeIdentity.Compute(parent, NodeKind.File, NodeIdentity.TruncateKey(SiblingCollapse.PatternFor(key), _maxKeyLength))
            : NodeIdentity.Root;
        leaf = new Leaf(NodeIdentity.Compute(parent, kind, key), key, pattern);
        return leaf;
    }

    private static ulong SignatureKey(ulong nodeId, string signature) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(signature), unchecked((long)nodeId));

    private readonly record struct Leaf(ulong Id, string Key, ulong PatternId);
}
