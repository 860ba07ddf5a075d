using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Normalization;

namespace WorkloadProfiles.Domain.Snapshots;

/// <summary>Caps that bound one snapshot (in nodes and in encoded bytes); hitting one sets <see cref="ActivitySnapshot.Truncated"/>, never drops silently.</summary>
public sealed record SnapshotLimits
{
    /// <summary>Most nodes in one snapshot; further new nodes are dropped and counted in <see cref="ActivitySnapshot.DroppedNodes"/>.</summary>
    public int MaxNodes { get; init; } = 20_000;
    /// <summary>Longest node key; longer keys are truncated deterministically and counted in <see cref="ActivitySnapshot.TruncatedKeys"/>.</summary>
    public int MaxKeyLength { get; init; } = NodeIdentity.DefaultMaxKeyLength;
    /// <summary>See <see cref="SiblingCollapse.Threshold"/>.</summary>
    public int SiblingCollapseThreshold { get; init; } = 16;
    /// <summary>Distinct argument signatures kept per process node; more set <see cref="SnapshotNode.SignaturesOverflowed"/>.</summary>
    public int MaxSignaturesPerNode { get; init; } = 32;
    /// <summary>
    /// Largest encoded snapshot (<see cref="EncodedSize"/>): new nodes that would take it beyond are dropped and counted in
    /// <see cref="ActivitySnapshot.DroppedNodes"/>, like those beyond <see cref="MaxNodes"/>. Default 960 KiB, under a
    /// 1 MB broker's message size; the snapshot job sets it from <c>Kafka:MaxMessageBytes</c>.
    /// </summary>
    public int MaxBytes { get; init; } = 960 * 1024;
    public static SnapshotLimits Default { get; } = new();
}

/// <summary>
/// Turns the ordered raw events of one container for one window into an <see cref="ActivitySnapshot"/>: a process tree from
/// exec/fork lineage with file, DNS and network nodes under the process that did them, counts and first/last seen.
/// One builder per container-window; the <see cref="ProcessTable"/> may be carried over between windows of a container.
/// </summary>
/// <remarks>
/// An event falls on one node: Exec on the new process node, Fork and Exit on the acting process's node, Open/Dns/Connect on
/// the leaf under the acting process (whose first/last seen it also extends). A node is only ever added together with its
/// ancestors, so the snapshot is always a connected tree, also when <see cref="SnapshotLimits.MaxNodes"/> drops nodes.
/// This is the hot path of the snapshot job: leaf keys are normalized and hashed once per (process node, raw value) and
/// steady-state events allocate nothing.
/// </remarks>
public sealed class SnapshotBuilder
{
    // open(2) flags that mean the file may be modified.
    private const int WriteFlags = 0x1 /* O_WRONLY */ | 0x2 /* O_RDWR */ | 0x40 /* O_CREAT */ | 0x200 /* O_TRUNC */;

    private readonly ContainerRef _container;
    private readonly string _hostName;
    private readonly long _windowStartUs;
    private readonly long _windowEndUs;
    private readonly SnapshotLimits _limits;
    private readonly Dictionary<ulong, NodeStats> _nodes = [];
    private readonly HashSet<ulong> _droppedNodes = [];
    // A carried-over process table has counted earlier windows' truncations; this snapshot reports only its own.
    private readonly long _processTruncatedKeysAtStart;
    private readonly LeafIdentities _leaves;
    // Images whose signature this window has recorded on their node (with their ancestors').
    private readonly HashSet<ProcessImage> _recordedImages = new(ReferenceEqualityComparer.Instance);
    // Process nodes missing from the snapshot between a process and its nearest ancestor that is in it (reused).
    private readonly List<(ulong Id, ProcessTableState.Node Node)> _missingAncestors = [];
    // Upper bound of the encoded snapshot so far (EncodedSize): header plus every node's fixed part and key.
    private long _bytes;
    private long _eventCount;
    private long _droppedEvents;
    private long _invalidEvents;
    private long _truncatedLeafKeys;
    private long _firstEventUs = long.MaxValue;
    private long _lastEventUs = long.MinValue;
    private bool _containerExited;

    /// <param name="leaves">Leaf identities shared with the other builders of the task (see <see cref="LeafIdentities"/>);
    /// its key cap must be <paramref name="limits"/>'s. Default: the builder's own.</param>
    public SnapshotBuilder(ContainerRef container, string hostName, long windowStartUs, long windowEndUs,
        SnapshotLimits? limits = null, ProcessTable? processes = null, LeafIdentities? leaves = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(hostName);
        if (windowEndUs < windowStartUs) throw new ArgumentException($"window end {windowEndUs} is before its start {windowStartUs}", nameof(windowEndUs));
        _container = container;
        _hostName = hostName;
        _windowStartUs = windowStartUs;
        _windowEndUs = windowEndUs;
        _limits = limits ?? SnapshotLimits.Default;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_limits.MaxNodes, "limits.MaxNodes");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_limits.MaxBytes, "limits.MaxBytes");
        if (leaves is not null && leaves.MaxKeyLength != _limits.MaxKeyLength)
        {
            throw new ArgumentException($"the shared leaf identities cap keys at {leaves.MaxKeyLength}, the limits at {_limits.MaxKeyLength}", nameof(leaves));
        }
        _leaves = leaves ?? new LeafIdentities(_limits.MaxKeyLength);
        Processes = processes ?? new ProcessTable(_limits.MaxKeyLength);
        _processTruncatedKeysAtStart = Processes.TruncatedKeys;
        _bytes = EncodedSize.SnapshotFixed + EncodedSize.Text(ActivitySnapshot.MakeId(container.Id, windowStartUs)) + EncodedSize.Text(container.Id)
                 + EncodedSize.Text(container.ImageName) + EncodedSize.Text(container.ImageTag) + EncodedSize.Text(hostName);
    }

    public ProcessTable Processes { get; }

    /// <summary>Valid events added.</summary>
    public long EventCount => _eventCount;

    /// <summary>Events rejected by <see cref="Validate"/> (missing kind-specific fields): skipped and counted.</summary>
    public long InvalidEvents => _invalidEvents;

    /// <summary>Nodes currently in the snapshot (before sibling collapse).</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Why an event cannot be used, or null when it can. The snapshot job dead-letters such events with this reason.</summary>
    public static string? Validate(RawEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Kind switch
        {
            _ when e.Pid < 0 => $"{e.Kind} event with negative pid {e.Pid}",
            EventKind.Exec when string.IsNullOrEmpty(e.ExecutablePath) => "exec event without process.executable.path",
            EventKind.Fork when e.ChildPid <= 0 => "fork event without a child pid",
            EventKind.Open when string.IsNullOrEmpty(e.FilePath) => "open event without file.path",
            EventKind.Dns when string.IsNullOrEmpty(e.DnsQuestionName) => "dns event without dns.question.name",
            EventKind.Connect when e.DestinationPort is < 0 or > 65_535 => $"connect event with destination.port {e.DestinationPort} out of range",
            EventKind.Exec or EventKind.Fork or EventKind.Exit or EventKind.Open or EventKind.Connect or EventKind.Dns or EventKind.ContainerExit => null,
            _ => $"unknown event kind {(int)e.Kind}",
        };
    }

    public void Add(RawEvent e)
    {
        if (Validate(e) is not null)
        {
            _invalidEvents++;
            return;
        }
        _eventCount++;
        var at = e.TimestampUs;
        if (at < _firstEventUs) _firstEventUs = at;
        if (at > _lastEventUs) _lastEventUs = at;

        switch (e.Kind)
        {
            case EventKind.Exec:
                Processes.Apply(e);
                CountOn(ProcessStats(Processes.NodeOf(e.Pid, e.Comm), at), at);
                RecordSignatures(e);
                break;
            case EventKind.Fork:
                CountOn(ProcessStats(Processes.NodeOf(e.Pid, e.Comm), at), at);
                Processes.Apply(e);
                break;
            case EventKind.Exit:
                CountOn(ProcessStats(Processes.NodeOf(e.Pid, e.Comm), at), at);
                // Before the pid is forgotten: looking it up afterwards would bring it back as a guessed process.
                RecordSignatures(e);
                Processes.Apply(e);
                return;
            case EventKind.Open:
                var access = (e.FileFlags & WriteFlags) != 0 ? FileAccessMode.Write : FileAccessMode.Read;
                var file = LeafStats(e, NodeKind.File);
                if (file is not null)
                {
                    CountOn(file, at);
                    file.Access |= access;
                }
                break;
            case EventKind.Dns:
                CountOn(LeafStats(e, NodeKind.Dns), at);
                break;
            case EventKind.Connect:
                CountOn(LeafStats(e, NodeKind.Network), at);
                break;
            case EventKind.ContainerExit:
                _containerExited = true;
                return;
        }
        if (e.Kind != EventKind.Exec) RecordSignatures(e);
    }

    /// <summary>
    /// Every process that acts in the window is counted with its own argument signature on its node, and so are the images
    /// it came from: a long-running server exec'd windows ago still has its signature in each snapshot it appears in.
    /// Steady state: one set lookup per event.
    /// </summary>
    private void RecordSignatures(RawEvent e)
    {
        for (var image = Processes.ImageOf(e.Pid, e.Comm); image is not null && _recordedImages.Add(image); image = image.Parent)
        {
            if (!_nodes.TryGetValue(image.NodeId, out var stats)) continue; // dropped by the node cap
            // A signature that would take the snapshot past its byte bound overflows the node instead.
            var bytes = EncodedSize.Text(image.Signature);
            if (stats.AddSignature(image.Signature, _limits.MaxSignaturesPerNode, fits: _bytes + bytes <= _limits.MaxBytes)) _bytes += bytes;
        }
    }

    public void AddRange(IEnumerable<RawEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events) Add(e);
    }

    /// <summary>Adds the events lost before the builder (a batch's <see cref="RawEventBatch.DroppedEvents"/>).</summary>
    public void AddDropped(long droppedEvents)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(droppedEvents);
        _droppedEvents += droppedEvents;
    }

    /// <summary>Adds one batch of this container: its events and its dropped-event count.</summary>
    public void AddBatch(RawEventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        AddDropped(batch.DroppedEvents);
        foreach (var e in batch.Events) Add(e);
    }

    /// <summary>The snapshot so far (the builder stays usable). Nodes are sorted by id; sibling collapse is applied here.</summary>
    /// <param name="closedByExit">The window closed because the container exited (also set by a ContainerExit event).</param>
    public ActivitySnapshot Build(bool closedByExit = false)
    {
        var nodes = CollapseSiblings();
        nodes.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return new ActivitySnapshot
        {
            SnapshotId = ActivitySnapshot.MakeId(_container.Id, _windowStartUs),
            Container = _container,
            HostName = _hostName,
            WindowStartUs = _windowStartUs,
            WindowEndUs = _windowEndUs,
            FirstEventUs = _eventCount == 0 ? 0 : _firstEventUs,
            LastEventUs = _eventCount == 0 ? 0 : _lastEventUs,
            EventCount = _eventCount,
            ClosedByExit = closedByExit || _containerExited,
            Truncated = _droppedNodes.Count > 0,
            DroppedNodes = _droppedNodes.Count,
            DroppedEvents = _droppedEvents,
            InvalidEvents = _invalidEvents,
            TruncatedKeys = _truncatedLeafKeys + Processes.TruncatedKeys - _processTruncatedKeysAtStart,
            Nodes = nodes,
        };
    }

    private static void CountOn(NodeStats? node, long at)
    {
        if (node is null) return;
        node.EventCount++;
        node.Seen(at);
    }

    /// <summary>The stats of a process node, adding it and its missing ancestors; null if a cap dropped it.</summary>
    /// <remarks>
    /// Iterative: a container decides how deep its process chain is, so walking it must not recurse. The walk is also
    /// capped at the table's size, so even a node-id collision that closed a cycle ends it.
    /// </remarks>
    private NodeStats? ProcessStats(ulong id, long at)
    {
        if (_nodes.TryGetValue(id, out var stats))
        {
            stats.Seen(at);
            return stats;
        }
        var missing = _missingAncestors;
        missing.Clear();
        var anchored = false;
        for (var current = id; missing.Count <= Processes.NodeCount; )
        {
            if (_nodes.TryGetValue(current, out var ancestor))
            {
                ancestor.Seen(at);
                anchored = true;
                break;
            }
            if (_droppedNodes.Contains(current) || !Processes.TryGetNode(current, out var process))
            {
                if (missing.Count == 0) return null;
                break;
            }
            missing.Add((current, process));
            if (process.ParentId == NodeIdentity.Root)
            {
                anchored = true;
                break;
            }
            current = process.ParentId;
        }

        // Top-down: a node goes in only with its parent, so the snapshot stays a connected tree.
        NodeStats? added = null;
        for (var i = missing.Count - 1; i >= 0; i--)
        {
            var (nodeId, node) = missing[i];
            if (!anchored || !Fits(node.Key))
            {
                Drop(nodeId);
                anchored = false;
                continue;
            }
            added = _nodes[nodeId] = new NodeStats(nodeId, node.ParentId, NodeKind.Process, node.Key, at);
            _bytes += NodeBytes(node.Key);
        }
        missing.Clear();
        return anchored ? added : null;
    }

    /// <summary>Whether a new node with this key stays within the node and byte caps.</summary>
    private bool Fits(string key) => _nodes.Count < _limits.MaxNodes && _bytes + NodeBytes(key) <= _limits.MaxBytes;

    private static long NodeBytes(string key) => EncodedSize.SnapshotNodeFixed + EncodedSize.Text(key);

    private NodeStats? LeafStats(RawEvent e, NodeKind kind)
    {
        var parent = Processes.NodeOf(e.Pid, e.Comm);
        var leaf = kind switch
        {
            NodeKind.File => _leaves.File(parent, e.FilePath!),
            NodeKind.Dns => _leaves.Dns(parent, e.DnsQuestionName!),
            _ => _leaves.Network(parent, e.Transport, e.DestinationPort, e.DestinationAddress),
        };

        // Steady state: the leaf is in the snapshot and points at its process's stats.
        if (_nodes.TryGetValue(leaf.Id, out var stats))
        {
            stats.Parent?.Seen(e.TimestampUs);
            return stats;
        }
        if (_droppedNodes.Contains(leaf.Id) || ProcessStats(parent, e.TimestampUs) is not { } process) return Drop(leaf.Id);
        if (!Fits(leaf.Key)) return Drop(leaf.Id);
        if (leaf.Truncated) _truncatedLeafKeys++;
        _nodes[leaf.Id] = stats = new NodeStats(leaf.Id, parent, kind, leaf.Key, e.TimestampUs) { Parent = process };
        _bytes += NodeBytes(leaf.Key);
        return stats;
    }

    private NodeStats? Drop(ulong id)
    {
        _droppedNodes.Add(id);
        return null;
    }

    /// <summary>Snapshot nodes with <see cref="SiblingCollapse"/> applied to the file nodes under each process node.</summary>
    private List<SnapshotNode> CollapseSiblings()
    {
        var result = new List<SnapshotNode>(_nodes.Count);
        Dictionary<ulong, List<NodeStats>>? filesByParent = null;
        foreach (var stats in _nodes.Values)
        {
            if (stats.Kind == NodeKind.File)
            {
                filesByParent ??= [];
                if (!filesByParent.TryGetValue(stats.ParentId, out var files)) filesByParent[stats.ParentId] = files = [];
                files.Add(stats);
            }
            else result.Add(stats.ToNode());
        }
        if (filesByParent is null) return result;

        var collapse = new SiblingCollapse(_limits.SiblingCollapseThreshold);
        foreach (var (parent, files) in filesByParent)
        {
            if (files.Count <= collapse.Threshold)
            {
                foreach (var file in files) result.Add(file.ToNode());
                continue;
            }
            var patterns = collapse.Collapse(files.Select(static f => f.Key));
            if (patterns.Count == 0)
            {
                foreach (var file in files) result.Add(file.ToNode());
                continue;
            }
            // Collapsed members fold into one node per pattern (which may also exist already, e.g. as "/tmp/*.log").
            var merged = new Dictionary<ulong, NodeStats>();
            foreach (var file in files)
            {
                var key = patterns.GetValueOrDefault(file.Key, file.Key);
                var id = ReferenceEquals(key, file.Key) ? file.Id : NodeIdentity.Compute(parent, NodeKind.File, key);
                if (merged.TryGetValue(id, out var into)) into.Absorb(file);
                else merged[id] = file.CopyAs(id, key);
            }
            foreach (var file in merged.Values) result.Add(file.ToNode());
        }
        return result;
    }

    private sealed class NodeStats(ulong id, ulong parentId, NodeKind kind, string key, long at)
    {
        public ulong Id { get; } = id;
        public ulong ParentId { get; } = parentId;
        public NodeKind Kind { get; } = kind;
        public string Key { get; } = key;
        public long EventCount { get; set; }
        public long FirstSeenUs { get; private set; } = at;
        public long LastSeenUs { get; private set; } = at;
        public FileAccessMode Access { get; set; }
        /// <summary>Leaves: the stats of the process they hang under.</summary>
        public NodeStats? Parent { get; init; }
        public HashSet<string>? Signatures { get; private set; }
        public bool SignaturesOverflowed { get; private set; }

        /// <summary>True when the signature was added (new, under the bound and fitting).</summary>
        public bool AddSignature(string signature, int max, bool fits)
        {
            Signatures ??= new HashSet<string>(StringComparer.Ordinal);
            if (Signatures.Contains(signature)) return false;
            if (Signatures.Count >= max || !fits)
            {
                SignaturesOverflowed = true;
                return false;
            }
            Signatures.Add(signature);
            return true;
        }

        public void Seen(long at)
        {
            if (at < FirstSeenUs) FirstSeenUs = at;
            if (at > LastSeenUs) LastSeenUs = at;
        }

        public void Absorb(NodeStats other)
        {
            EventCount += other.EventCount;
            Seen(other.FirstSeenUs);
            Seen(other.LastSeenUs);
            Access |= other.Access;
        }

        public NodeStats CopyAs(ulong id, string key)
        {
            var copy = new NodeStats(id, ParentId, Kind, key, FirstSeenUs);
            copy.Absorb(this);
            return copy;
        }

        public SnapshotNode ToNode() => new()
        {
            Id = Id,
            ParentId = ParentId,
            Kind = Kind,
            Key = Key,
            EventCount = EventCount,
            FirstSeenUs = FirstSeenUs,
            LastSeenUs = LastSeenUs,
            Access = Access,
            Signatures = Signatures is null ? [] : [.. Signatures.Order(StringComparer.Ordinal)],
            SignaturesOverflowed = SignaturesOverflowed,
        };
    }
}
