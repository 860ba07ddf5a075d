using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Streams.Snapshots;

/// <summary>
/// What the snapshot job knows about one container in memory: its open windows (one builder each, sharing the
/// container's live process table so lineage carries across windows), the journal of stored batches those windows were
/// built from, and the batches still waiting for the container's image.
/// </summary>
internal sealed class ContainerActivity(string containerId)
{
    public string ContainerId { get; } = containerId;

    /// <summary>The container with its image resolved; null while no batch has carried the image yet.</summary>
    public ContainerRef? Container { get; set; }

    public string HostName { get; set; } = "";

    /// <summary>The live process table, shared by the open windows' builders.</summary>
    public required ProcessTable Processes { get; set; }

    /// <summary>An upper bound of the process table's size (and of its encoded checkpoint), grown as execs add nodes.</summary>
    public long ProcessBytes { get; set; }

    /// <summary>
    /// Lineage checkpoints in offset order: the process table as it was just before the batch at <c>Offset</c>. The
    /// first is the base the journal replays from after a restart (and the one persisted); later ones were taken when a
    /// batch opened a new window, and become the base when the windows before them close.
    /// </summary>
    public List<(long Offset, ProcessTableState Table)> Lineage { get; } = [(0, ProcessTableState.Empty)];

    /// <summary>Open windows by start (µs).</summary>
    public SortedDictionary<long, SnapshotBuilder> Windows { get; } = [];

    /// <summary>End of the last closed window: events before it are late.</summary>
    public long ClosedUpToUs { get; set; } = long.MinValue;

    /// <summary>Highest input offset whose effect is in the state; a redelivered record at or below it is a replay.</summary>
    public long LastOffset { get; set; } = -1;

    /// <summary>Wall clock (ms) when the container last sent a batch, for idle close.</summary>
    public long LastSeenWallMs { get; set; }

    /// <summary>
    /// Stored batches in offset order, with the last window each one touched: every batch from the lineage base on, so a
    /// replay from the base sees the same lineage events in the same order.
    /// </summary>
    public List<(long Offset, long LastWindowStartUs)> Journal { get; } = [];

    /// <summary>Batches waiting for the image, in offset order.</summary>
    public List<HeldBatch> Held { get; } = [];

    public bool IsIdle => Windows.Count == 0 && Held.Count == 0;
}

/// <summary>A raw batch held until its container's image resolves.</summary>
internal sealed record HeldBatch(long Offset, long ReceivedWallMs, byte[] Raw, RawEventBatch Batch);
