using WorkloadProfiles.Domain.Snapshots;
using static WorkloadProfiles.ClickHouse.Tables.Columns;

namespace WorkloadProfiles.ClickHouse.Tables;

/// <summary><c>snapshots</c>: one row per activity snapshot (sql/migrations/002_snapshots.sql).</summary>
public static class SnapshotsTable
{
    public static ClickHouseTable Table { get; } = new("snapshots",
    [
        new("snapshot_id", StringType),
        new("image_name", LowCardinalityStringType),
        new("image_tag", StringType),
        new("container_id", StringType),
        new("host_name", LowCardinalityStringType),
        new("window_start", DateTimeUtcType),
        new("window_start_us", Int64Type),
        new("window_end_us", Int64Type),
        new("first_event_us", Int64Type),
        new("last_event_us", Int64Type),
        new("event_count", UInt64Type),
        new("node_count", UInt64Type),
        new("closed_by_exit", UInt8Type),
        new("truncated", UInt8Type),
        new("dropped_nodes", UInt64Type),
        new("dropped_events", UInt64Type),
        .. OrchestratorColumns,
    ]);

    public static object?[] Row(ActivitySnapshot snapshot) =>
    [
        snapshot.SnapshotId,
        snapshot.Container.ImageName ?? "",
        snapshot.Container.ImageTag ?? "",
        snapshot.Container.Id,
        snapshot.HostName,
        Time(snapshot.WindowStartUs),
        snapshot.WindowStartUs,
        snapshot.WindowEndUs,
        snapshot.FirstEventUs,
        snapshot.LastEventUs,
        Count(snapshot.EventCount),
        (ulong)snapshot.Nodes.Count,
        Flag(snapshot.ClosedByExit),
        Flag(snapshot.Truncated),
        Count(snapshot.DroppedNodes),
        Count(snapshot.DroppedEvents),
        .. Orchestrator(snapshot.Container.Kubernetes),
    ];
}

/// <summary><c>snapshot_nodes</c>: the behaviour nodes one snapshot saw.</summary>
public static class SnapshotNodesTable
{
    public static ClickHouseTable Table { get; } = new("snapshot_nodes",
    [
        new("snapshot_id", StringType),
        new("image_name", LowCardinalityStringType),
        new("image_tag", StringType),
        new("window_start", DateTimeUtcType),
        new("node_id", UInt64Type),
        new("parent_id", UInt64Type),
        new("kind", LowCardinalityStringType),
        new("key", StringType),
        new("event_count", UInt64Type),
        new("access", LowCardinalityStringType),
        new("first_seen_us", Int64Type),
        new("last_seen_us", Int64Type),
        new("signatures", StringArrayType),
        new("signatures_overflowed", UInt8Type),
    ]);

    public static IEnumerable<object?[]> Rows(ActivitySnapshot snapshot)
    {
        var imageName = snapshot.Container.ImageName ?? "";
        var imageTag = snapshot.Container.ImageTag ?? "";
        var windowStart = Time(snapshot.WindowStartUs);
        return snapshot.Nodes.Select(node => new object?[]
        {
            snapshot.SnapshotId,
            imageName,
            imageTag,
            windowStart,
            node.Id,
            node.ParentId,
            Kind(node.Kind),
            node.Key,
            Count(node.EventCount),
            Access(node.Access),
            node.FirstSeenUs,
            node.LastSeenUs,
            node.Signatures.ToArray(),
            Flag(node.SignaturesOverflowed),
        });
    }
}
