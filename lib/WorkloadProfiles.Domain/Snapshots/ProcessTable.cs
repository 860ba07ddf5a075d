using System.Diagnostics.CodeAnalysis;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Domain.Snapshots;

/// <summary>
/// The live process lineage of one container, built from Exec/Fork/Exit events (and /proc-sourced Exec/Fork events for
/// processes that predate the agent). It keeps two things:
/// <list type="bullet">
/// <item>the behaviour tree's process <b>nodes</b>: an Exec moves a process to a node whose parent is its previous node
/// (or, for a pid not seen before, its parent pid's node, else the root); a Fork's child acts as its parent's node until
/// it execs; unknown pids hang under the container root, keyed by comm;</item>
/// <item>each live pid's <b>image</b>: the program it runs as it was exec'd — its own executable path, argv, pid, start time
/// and working directory — chained to the image it came from. A signal's ancestry is this chain, so every process in it
/// shows its own command line, never the first process seen acting as the same node.</item>
/// </list>
/// Exit forgets the pid (nodes stay; an image stays while a descendant's chain refers to it). Used by the snapshot
/// builder (node ids) and by detection (a signal's acting process and ancestry).
/// </summary>
public sealed class ProcessTable
{
    private readonly Dictionary<int, ProcessImage> _imageOfPid = [];
    private readonly Dictionary<ulong, ProcessTableState.Node> _nodes = [];

    /// <param name="maxKeyLength">Process keys longer than this are truncated (<see cref="NodeIdentity.TruncateKey"/>).</param>
    public ProcessTable(int maxKeyLength = NodeIdentity.DefaultMaxKeyLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeyLength, 32);
        MaxKeyLength = maxKeyLength;
    }

    public int MaxKeyLength { get; }

    /// <summary>Live pids tracked.</summary>
    public int Count => _imageOfPid.Count;

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
                // A program the table only guessed (a pid whose exec it never saw, keyed by its comm) is no parent: the
                // tree would then depend on whether the process's events before its exec were captured (a runtime's
                // init opens files, then execs). The exec starts from the real parent, or at the root.
                var known = _imageOfPid.TryGetValue(e.Pid, out var current) && !current!.HasGuessedLineage;
                var from = known ? current
                    : e.Ppid > 0 && _imageOfPid.TryGetValue(e.Ppid, out var parentImage) && !parentImage.HasGuessedLineage ? parentImage
                    : null;
                var process = new ProcessRef(e.ExecutablePath ?? e.Comm, e.Args ?? []) { Pid = e.Pid, StartUs = e.ProcessStartUs };
                var key = Key(process);
                // A process re-executing the program it already runs (a self re-exec loop, a restarting supervisor, the
                // agent's /proc scan meeting a process it saw exec) stays on its node with its new arguments: nesting it
                // would grow the tree by one level per exec without new behaviour.
                if (known && _nodes[current!.NodeId].Key == key.Value)
                {
                    _imageOfPid[e.Pid] = new ProcessImage(current.NodeId, current.Parent, process, e.WorkingDirectory ?? current.WorkingDirectory)
                        .WithSignatureOf(current);
                    break;
                }
                var node = Register(from?.NodeId ?? NodeIdentity.Root, key);
                _imageOfPid[e.Pid] = new ProcessImage(node, from, process, e.WorkingDirectory);
                break;
            case EventKind.Fork when e.ChildPid > 0:
                // Until it execs, a child runs its parent's program: it is the parent's node and image.
                _imageOfPid[e.ChildPid] = ImageOf(e.Pid, e.Comm);
                break;
            case EventKind.Exit:
                _imageOfPid.Remove(e.Pid);
                break;
        }
    }

    /// <summary>The process node id a pid currently acts as (registers an unknown pid under the root).</summary>
    public ulong NodeOf(int pid, string comm) => ImageOf(pid, comm).NodeId;

    /// <summary>The image a pid currently runs (registers an unknown pid under the root, keyed by its comm).</summary>
    public ProcessImage ImageOf(int pid, string comm)
    {
        if (_imageOfPid.TryGetValue(pid, out var image)) return image;
        comm ??= "";
        var process = new ProcessRef(comm, [comm]) { Pid = pid };
        return _imageOfPid[pid] = new ProcessImage(Register(NodeIdentity.Root, Key(process)), null, process, null);
    }

    /// <summary>Root-first ancestry of a pid's current image, the pid's own image last: each entry the process as it was
    /// exec'd (its own path, argv, pid and start time).</summary>
    public IReadOnlyList<ProcessRef> Ancestry(int pid, string comm) => ImageOf(pid, comm).Lineage();

    internal bool TryGetNode(ulong id, [MaybeNullWhen(false)] out ProcessTableState.Node node) => _nodes.TryGetValue(id, out node);

    /// <summary>
    /// The table's whole state (live pids, their images and every node), so a stream job can checkpoint lineage that
    /// outlives its windows and rebuild the same table after a restart with <see cref="Restore"/>.
    /// </summary>
    public ProcessTableState Export()
    {
        var indexOf = new Dictionary<ProcessImage, int>(ReferenceEqualityComparer.Instance);
        var images = new List<ProcessTableState.Image>();
        int Index(ProcessImage image)
        {
            if (indexOf.TryGetValue(image, out var index)) return index;
            // Parents first, iteratively: a chain can be as deep as the container made it.
            var chain = new Stack<ProcessImage>();
            for (var i = image; i is not null && !indexOf.ContainsKey(i); i = i.Parent) chain.Push(i);
            while (chain.TryPop(out var next))
            {
                var parent = next.Parent is null ? -1 : indexOf[next.Parent];
                indexOf[next] = images.Count;
                images.Add(new ProcessTableState.Image(next.NodeId, parent, next.Process.ExecutablePath, next.Process.Args,
                    next.Process.Pid, next.Process.StartUs, next.WorkingDirectory));
            }
            return indexOf[image];
        }
        var pids = _imageOfPid.Select(p => new ProcessTableState.Pid(p.Key, Index(p.Value))).ToList();
        return new ProcessTableState(pids, [.. _nodes.Values], images, TruncatedKeys);
    }

    /// <summary>
    /// Bounds the table in place, for callers that must cap its memory (a container can exec endless distinct programs):
    /// forgets the nodes no live pid's image chain acts as or descends from — nothing a later event can reach, so lineage is
    /// unchanged — and, when the live nodes alone number more than <paramref name="maxNodes"/>, everything (pids included).
    /// </summary>
    /// <returns>True when the live lineage had to be forgotten too.</returns>
    public bool Trim(int maxNodes)
    {
        var live = new Dictionary<ulong, ProcessTableState.Node>();
        var walked = new HashSet<ProcessImage>(ReferenceEqualityComparer.Instance);
        foreach (var start in _imageOfPid.Values)
        {
            for (var image = start; image is not null && walked.Add(image); image = image.Parent)
            {
                // Bounded by the table's size, so even a node-id collision that closed a cycle ends the walk.
                for (var (id, steps) = (image.NodeId, 0); id != NodeIdentity.Root && steps <= _nodes.Count && !live.ContainsKey(id) && _nodes.TryGetValue(id, out var known); steps++)
                {
                    live[id] = known;
                    id = known.ParentId;
                }
            }
        }
        _nodes.Clear();
        if (live.Count > maxNodes)
        {
            _imageOfPid.Clear();
            return true;
        }
        foreach (var (id, node) in live) _nodes[id] = node;
        return false;
    }

    /// <summary>A table equal to the one <paramref name="state"/> was exported from.</summary>
    /// <exception cref="ArgumentException">An image or pid refers to a node or image the state does not hold.</exception>
    public static ProcessTable Restore(ProcessTableState state, int maxKeyLength = NodeIdentity.DefaultMaxKeyLength)
    {
        ArgumentNullException.ThrowIfNull(state);
        var table = new ProcessTable(maxKeyLength) { TruncatedKeys = state.TruncatedKeys };
        foreach (var node in state.Nodes) table._nodes[node.Id] = node;
        var images = new ProcessImage[state.Images.Count];
        for (var i = 0; i < images.Length; i++)
        {
            var image = state.Images[i];
            if (!table._nodes.ContainsKey(image.NodeId)) throw new ArgumentException($"image {i} acts as node {image.NodeId:x16}, which the state does not hold", nameof(state));
            if (image.Parent >= i) throw new ArgumentException($"image {i} names image {image.Parent} as its parent, which does not come before it", nameof(state));
            images[i] = new ProcessImage(image.NodeId, image.Parent < 0 ? null : images[image.Parent],
                new ProcessRef(image.ExecutablePath, image.Args) { Pid = image.Pid, StartUs = image.StartUs }, image.WorkingDirectory);
        }
        foreach (var pid in state.Pids)
        {
            if ((uint)pid.Image >= (uint)images.Length) throw new ArgumentException($"pid {pid.Value} runs image {pid.Image}, which the state does not hold", nameof(state));
            table._imageOfPid[pid.Value] = images[pid.Image];
        }
        return table;
    }

    private ulong Register(ulong parent, (string Value, bool Truncated) key)
    {
        if (key.Truncated) TruncatedKeys++;
        var id = NodeIdentity.Compute(parent, NodeKind.Process, key.Value);
        _nodes.TryAdd(id, new ProcessTableState.Node(id, parent, key.Value));
        return id;
    }

    private (string Value, bool Truncated) Key(ProcessRef process)
    {
        var key = NodeIdentity.ProcessKey(process.ExecutablePath, process.Args);
        return key.Length > MaxKeyLength ? (NodeIdentity.TruncateKey(key, MaxKeyLength), true) : (key, false);
    }
}

/// <summary>
/// A program as one process exec'd it: the process node it maps to, the image it came from (its previous program, or
/// the forking parent's), and the process itself as captured. Immutable; shared by forked children until they exec, so
/// images compare by reference.
/// </summary>
public sealed class ProcessImage(ulong nodeId, ProcessImage? parent, ProcessRef process, string? workingDirectory)
{
    public ulong NodeId { get; } = nodeId;
    public ProcessImage? Parent { get; } = parent;
    public ProcessRef Process { get; } = process;
    /// <summary>process.working_directory when the program was exec'd; null when not captured.</summary>
    public string? WorkingDirectory { get; } = workingDirectory;

    /// <summary>The <see cref="ArgumentSignature"/> of its arguments (computed once).</summary>
    public string Signature => _signature ??= ArgumentSignature.Of(Process.ExecutablePath, Process.Args);

    /// <summary>
    /// Takes over the signature <paramref name="previous"/> computed when this image runs the same program with the same
    /// arguments (a process re-executing itself, a restarting worker): the signature is a function of those alone, and
    /// computing it again for every exec would be most of an exec's cost.
    /// </summary>
    internal ProcessImage WithSignatureOf(ProcessImage previous)
    {
        if (previous._signature is null || _signature is not null || previous.Process.ExecutablePath != Process.ExecutablePath) return this;
        var (mine, theirs) = (Process.Args, previous.Process.Args);
        if (mine.Count != theirs.Count) return this;
        for (var i = 0; i < mine.Count; i++)
            if (!string.Equals(mine[i], theirs[i], StringComparison.Ordinal)) return this;
        _signature = previous._signature;
        return this;
    }

    /// <summary>
    /// The table made this image up for a pid whose exec (or /proc scan) it never saw: keyed by the kernel comm, with no
    /// executable path, parent or start time. Its node says "unknown", not "new".
    /// </summary>
    public bool IsGuessed => Parent is null && Process.StartUs == 0 && !Process.ExecutablePath.StartsWith('/');

    /// <summary>This image or one it came from <see cref="IsGuessed">is guessed</see> (computed once; images are immutable).</summary>
    public bool HasGuessedLineage
    {
        get
        {
            if (_guessedLineage is { } known) return known;
            // Iterative: a chain is as deep as the container made it.
            var guessed = false;
            for (var image = this; image is not null; image = image.Parent)
            {
                if (image._guessedLineage is { } cached) { guessed = cached; break; }
                if (image.IsGuessed) { guessed = true; break; }
            }
            _guessedLineage = guessed;
            return guessed;
        }
    }

    private string? _signature;
    private bool? _guessedLineage;

    /// <summary>Root-first chain of images ending with this one, as the processes that ran them.</summary>
    public IReadOnlyList<ProcessRef> Lineage()
    {
        var depth = 0;
        for (var i = this; i is not null; i = i.Parent) depth++;
        var chain = new ProcessRef[depth];
        for (var i = this; i is not null; i = i.Parent) chain[--depth] = i.Process;
        return chain;
    }
}

/// <summary>What <see cref="ProcessTable.Export"/> returns: plain data, for the caller to encode.</summary>
public sealed record ProcessTableState(
    IReadOnlyList<ProcessTableState.Pid> Pids,
    IReadOnlyList<ProcessTableState.Node> Nodes,
    IReadOnlyList<ProcessTableState.Image> Images,
    long TruncatedKeys)
{
    public static ProcessTableState Empty { get; } = new([], [], [], 0);

    /// <summary>A live pid and the image (index into <see cref="Images"/>) it runs.</summary>
    public readonly record struct Pid(int Value, int Image);

    /// <summary>A process node: its place in the tree and its key.</summary>
    public sealed record Node(ulong Id, ulong ParentId, string Key);

    /// <summary>An image; <paramref name="Parent"/> is the index of an earlier image, or -1.</summary>
    public sealed record Image(ulong NodeId, int Parent, string ExecutablePath, IReadOnlyList<string> Args, int Pid, long StartUs,
        string? WorkingDirectory);
}
