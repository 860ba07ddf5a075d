using System.Diagnostics.CodeAnalysis;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Domain.Snapshots;

/// <summary>
/// The live process lineage of one container, built from Exec/Fork/Exit events (and /proc-sourced Exec events for
/// processes that predate profiling). Fork: the child inherits the parent's current process node. Exec: the process moves
/// to a new node whose parent is its previous node (or, for a pid not seen before, its parent pid's node, else the root).
/// Exit: the pid is forgotten (its nodes stay, other pids may act as them). Unknown pids hang under the container root,
/// keyed by comm. Used by the snapshot builder (node ids) and by detection (a signal's ancestry).
/// </summary>
public sealed class ProcessTable
{
    private readonly Dictionary<int, ulong> _nodeOfPid = [];
    private readonly Dictionary<ulong, ProcessTableState.Node> _nodes = [];

    /// <param name="maxKeyLength">Process keys longer than this are truncated (<see cref="NodeIdentity.TruncateKey"/>).</param>
    public ProcessTable(int maxKeyLength = NodeIdentity.DefaultMaxKeyLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeyLength, 32);
        MaxKeyLength = maxKeyLength;
    }

    public int MaxKeyLength { get; }

    /// <summary>Live pids tracked.</summary>
    public int Count => _nodeOfPid.Count;

    /// <summary>Distinct process nodes known (live or not).</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Process keys that were longer than <see cref="MaxKeyLength"/> and got truncated.</summary>
    public long TruncatedKeys { get; private set; }

    /// <summary>Applies a lineage event (Exec, Fork, Exit); other kinds are ignored.</summary>
    public void Apply(RawEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e.Kind)
        {
            case EventKind.Exec:
                var known = _nodeOfPid.TryGetValue(e.Pid, out var current);
                var parent = known ? current
                    : e.Ppid > 0 && _nodeOfPid.TryGetValue(e.Ppid, out var parentOfPid) ? parentOfPid
                    : NodeIdentity.Root;
                var process = new ProcessRef(e.ExecutablePath ?? e.Comm, e.Args ?? []);
                var key = Key(process);
                // A process re-executing the program it already runs (a self re-exec loop, a restarting supervisor)
                // stays on its node: nesting it would grow the tree by one level per exec without new behaviour.
                if (known && _nodes[current].Key == key.Value) break;
                _nodeOfPid[e.Pid] = Register(parent, process, key);
                break;
            case EventKind.Fork when e.ChildPid > 0:
                _nodeOfPid[e.ChildPid] = NodeOf(e.Pid, e.Comm);
                break;
            case EventKind.Exit:
                _nodeOfPid.Remove(e.Pid);
                break;
        }
    }

    /// <summary>The process node id a pid currently acts as (registers an unknown pid under the root).</summary>
    public ulong NodeOf(int pid, string comm)
    {
        if (_nodeOfPid.TryGetValue(pid, out var node)) return node;
        comm ??= "";
        var process = new ProcessRef(comm, [comm]);
        return _nodeOfPid[pid] = Register(NodeIdentity.Root, process, Key(process));
    }

    /// <summary>Root-first ancestry of a pid's current process node, the pid's own process last.</summary>
    public IReadOnlyList<ProcessRef> Ancestry(int pid, string comm)
    {
        var chain = new List<ProcessRef>();
        for (var id = NodeOf(pid, comm); id != NodeIdentity.Root; id = _nodes[id].ParentId) chain.Add(_nodes[id].Process);
        chain.Reverse();
        return chain;
    }

    internal bool TryGetNode(ulong id, [MaybeNullWhen(false)] out ProcessTableState.Node node) => _nodes.TryGetValue(id, out node);

    /// <summary>
    /// The table's whole state (live pids and every node), so a stream job can checkpoint lineage that outlives its
    /// windows and rebuild the same table after a restart with <see cref="Restore"/>.
    /// </summary>
    public ProcessTableState Export() => new(
        [.. _nodeOfPid.Select(p => new ProcessTableState.Pid(p.Key, p.Value))],
        [.. _nodes.Values],
        TruncatedKeys);

    /// <summary>
    /// Bounds the table in place, for callers that must cap its memory (a container can exec endless distinct programs):
    /// forgets the nodes no live pid acts as or descends from — nothing a later event can reach, so lineage is unchanged —
    /// and, when the live pids' nodes alone number more than <paramref name="maxNodes"/>, everything (pids included).
    /// </summary>
    /// <returns>True when the live lineage had to be forgotten too.</returns>
    public bool Trim(int maxNodes)
    {
        var live = new Dictionary<ulong, ProcessTableState.Node>();
        foreach (var node in _nodeOfPid.Values)
        {
            // Bounded by the table's size, so even a node-id collision that closed a cycle ends the walk.
            for (var (id, steps) = (node, 0); id != NodeIdentity.Root && steps <= _nodes.Count && !live.ContainsKey(id) && _nodes.TryGetValue(id, out var known); steps++)
            {
                live[id] = known;
                id = known.ParentId;
            }
        }
        _nodes.Clear();
        if (live.Count > maxNodes)
        {
            _nodeOfPid.Clear();
            return true;
        }
        foreach (var (id, node) in live) _nodes[id] = node;
        return false;
    }

    /// <summary>A table equal to the one <paramref name="state"/> was exported from.</summary>
    /// <exception cref="ArgumentException">A pid points at a node the state does not hold.</exception>
    public static ProcessTable Restore(ProcessTableState state, int maxKeyLength = NodeIdentity.DefaultMaxKeyLength)
    {
        ArgumentNullException.ThrowIfNull(state);
        var table = new ProcessTable(maxKeyLength) { TruncatedKeys = state.TruncatedKeys };
        foreach (var node in state.Nodes) table._nodes[node.Id] = node;
        foreach (var pid in state.Pids)
        {
            if (!table._nodes.ContainsKey(pid.NodeId)) throw new ArgumentException($"pid {pid.Value} acts as node {pid.NodeId:x16}, which the state does not hold", nameof(state));
            table._nodeOfPid[pid.Value] = pid.NodeId;
        }
        return table;
    }

    private ulong Register(ulong parent, ProcessRef process, (string Value, bool Truncated) key)
    {
        if (key.Truncated) TruncatedKeys++;
        var id = NodeIdentity.Compute(parent, NodeKind.Process, key.Value);
        _nodes.TryAdd(id, new ProcessTableState.Node(id, parent, key.Value, process));
        return id;
    }

    private (string Value, bool Truncated) Key(ProcessRef process)
    {
        var key = NodeIdentity.ProcessKey(process.ExecutablePath, process.Args);
        return key.Length > MaxKeyLength ? (NodeIdentity.TruncateKey(key, MaxKeyLength), true) : (key, false);
    }
}

/// <summary>What <see cref="ProcessTable.Export"/> returns: plain data, for the caller to encode.</summary>
public sealed record ProcessTableState(IReadOnlyList<ProcessTableState.Pid> Pids, IReadOnlyList<ProcessTableState.Node> Nodes, long TruncatedKeys)
{
    public static ProcessTableState Empty { get; } = new([], [], 0);

    /// <summary>A live pid and the process node it acts as.</summary>
    public readonly record struct Pid(int Value, ulong NodeId);

    /// <summary>A process node: its place in the tree, its key and the first process seen acting as it.</summary>
    public sealed record Node(ulong Id, ulong ParentId, string Key, ProcessRef Process);
}
