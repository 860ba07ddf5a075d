using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Domain.Snapshots;

/// <summary>Caps that bound one snapshot; hitting one sets <see cref="ActivitySnapshot.Truncated"/>, never drops silently.</summary>
public sealed record SnapshotLimits
{
    public int MaxNodes { get; init; } = 20_000;
    public int MaxKeyLength { get; init; } = 1_024;
    public int SiblingCollapseThreshold { get; init; } = 16;
    public static SnapshotLimits Default { get; } = new();
}

/// <summary>
/// Turns the ordered raw events of one container for one window into an <see cref="ActivitySnapshot"/>: a process tree from
/// exec/fork lineage with file, DNS and network nodes under the process that did them, counts and first/last seen.
/// One builder per container-window; the <see cref="ProcessTable"/> may be carried over between windows of a container.
/// </summary>
public sealed class SnapshotBuilder
{
    public SnapshotBuilder(ContainerRef container, string hostName, long windowStartUs, long windowEndUs,
        SnapshotLimits? limits = null, ProcessTable? processes = null) => throw new NotImplementedException();

    public ProcessTable Processes => throw new NotImplementedException();
    public long EventCount => throw new NotImplementedException();

    public void Add(RawEvent e) => throw new NotImplementedException();
    public void AddRange(IEnumerable<RawEvent> events) { foreach (var e in events) Add(e); }
    public void AddDropped(long droppedEvents) => throw new NotImplementedException();

    public ActivitySnapshot Build(bool closedByExit = false) => throw new NotImplementedException();
}
