using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Detection;

/// <summary>
/// The process table of each container the engine has seen, bounded: a container's table goes when the container exits,
/// when it is the least recently seen beyond <see cref="DetectionOptions.MaxContainers"/>, and is reset when it grows past
/// <see cref="DetectionOptions.MaxProcessesPerContainer"/>. Each of these is counted.
/// </summary>
internal sealed class ContainerLineages(DetectionOptions options, DetectionMetrics metrics)
{
    private readonly Dictionary<string, LinkedListNode<Entry>> _byId = new(StringComparer.Ordinal);
    // Most recently seen first.
    private readonly LinkedList<Entry> _recency = new();

    public int Count => _byId.Count;

    /// <summary>The table of <paramref name="containerId"/>, created if new; marks the container most recently seen.</summary>
    public ProcessTable For(string containerId)
    {
        if (_byId.TryGetValue(containerId, out var node))
        {
            if (node != _recency.First)
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
            }
            return node.Value.Processes;
        }

        if (_byId.Count >= options.MaxContainers)
        {
            var oldest = _recency.Last!;
            _recency.RemoveLast();
            _byId.Remove(oldest.Value.ContainerId);
            metrics.ContainerEvicted();
        }
        node = _recency.AddFirst(new Entry(containerId, new ProcessTable()));
        _byId.Add(containerId, node);
        return node.Value.Processes;
    }

    /// <summary>The table of a container the engine knows, without touching its recency.</summary>
    public bool TryGet(string containerId, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out ProcessTable processes)
    {
        processes = _byId.TryGetValue(containerId, out var node) ? node.Value.Processes : null;
        return processes is not null;
    }

    /// <summary>Sets a container's table (a restored checkpoint), making it the most recently seen.</summary>
    public void Restore(string containerId, ProcessTable processes)
    {
        For(containerId);
        _byId[containerId].Value = new Entry(containerId, processes);
    }

    /// <summary>Forgets a container that exited.</summary>
    public void Exited(string containerId)
    {
        if (!_byId.Remove(containerId, out var node)) return;
        _recency.Remove(node);
        metrics.ContainerExited();
    }

    /// <summary>Replaces a container's table that outgrew the cap (exit events were lost); returns the new one.</summary>
    public ProcessTable Reset(string containerId)
    {
        var node = _byId[containerId];
        node.Value = node.Value with { Processes = new ProcessTable() };
        metrics.ProcessTableReset();
        return node.Value.Processes;
    }

    private sealed record Entry(string ContainerId, ProcessTable Processes);
}
