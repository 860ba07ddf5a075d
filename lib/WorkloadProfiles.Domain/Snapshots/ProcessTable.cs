using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Domain.Snapshots;

/// <summary>
/// The live process lineage of one container, built from Exec/Fork/Exit events (and /proc-sourced Exec events for
/// processes that predate profiling). Fork: the child inherits the parent's current process node. Exec: the process moves
/// to a new node whose parent is its previous node. Unknown pids hang under the container root, keyed by comm.
/// Used by the snapshot builder (node ids) and by detection (a signal's ancestry).
/// </summary>
public sealed class ProcessTable
{
    /// <summary>Applies a lineage event (Exec, Fork, Exit); other kinds are ignored.</summary>
    public void Apply(RawEvent e) => throw new NotImplementedException();

    /// <summary>The process node id a pid currently acts as (registers an unknown pid under the root).</summary>
    public ulong NodeOf(int pid, string comm) => throw new NotImplementedException();

    /// <summary>Root-first ancestry of a pid's current process node, the pid's own process last.</summary>
    public IReadOnlyList<ProcessRef> Ancestry(int pid, string comm) => throw new NotImplementedException();

    public int Count => throw new NotImplementedException();
}
