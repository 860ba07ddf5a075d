using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Domain.Snapshots;

/// <summary>One behaviour seen in one snapshot. <see cref="Id"/> = hash(ParentId, Kind, Key); ParentId 0 = the container root.</summary>
public sealed record SnapshotNode
{
    public required ulong Id { get; init; }
    public required ulong ParentId { get; init; }
    public required NodeKind Kind { get; init; }
    /// <summary>The normalized key that was hashed (process: path plus argv pattern; file: path; dns: name; network: proto/port/class).</summary>
    public required string Key { get; init; }
    /// <summary>How many events fell on this node in the window.</summary>
    public long EventCount { get; init; }
    public long FirstSeenUs { get; init; }
    public long LastSeenUs { get; init; }
    /// <summary>File nodes: the union of accesses.</summary>
    public FileAccessMode Access { get; init; }
    /// <summary>Process nodes: the distinct argument signatures (<see cref="ArgumentSignature"/>) of the processes that ran as
    /// this node in the window, sorted ordinally; at most <see cref="SnapshotLimits.MaxSignaturesPerNode"/>.</summary>
    public IReadOnlyList<string> Signatures { get; init; } = [];
    /// <summary>More distinct signatures ran as this node than the snapshot keeps.</summary>
    public bool SignaturesOverflowed { get; init; }
}

/// <summary>
/// The activity of one container for one window (default 30 min) — the value of <c>wp.snapshots</c>.
/// <see cref="SnapshotId"/> is deterministic (container id + window start) so replays do not double count.
/// </summary>
public sealed record ActivitySnapshot
{
    public required string SnapshotId { get; init; }
    public required ContainerRef Container { get; init; }
    public required string HostName { get; init; }
    public required long WindowStartUs { get; init; }
    public required long WindowEndUs { get; init; }
    public long FirstEventUs { get; init; }
    public long LastEventUs { get; init; }
    public long EventCount { get; init; }
    /// <summary>True when the container exited and closed the window early.</summary>
    public bool ClosedByExit { get; init; }
    /// <summary>True when a cap was hit: some behaviour is missing from <see cref="Nodes"/> and <see cref="DroppedNodes"/> says how much.</summary>
    public bool Truncated { get; init; }
    public long DroppedNodes { get; init; }
    /// <summary>Events lost before they reached the builder (kernel ring buffer, agent), summed from the batches.</summary>
    public long DroppedEvents { get; init; }
    /// <summary>Events the builder skipped because a kind-specific field was missing (see <see cref="SnapshotBuilder.Validate"/>).</summary>
    public long InvalidEvents { get; init; }
    /// <summary>Node keys longer than <see cref="SnapshotLimits.MaxKeyLength"/> that were truncated (deterministically, so ids stay stable).</summary>
    public long TruncatedKeys { get; init; }
    public required IReadOnlyList<SnapshotNode> Nodes { get; init; }

    public static string MakeId(string containerId, long windowStartUs) => $"{containerId}:{windowStartUs}";
}
