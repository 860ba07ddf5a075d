using WorkloadProfiles.Domain.Profiles;
using static WorkloadProfiles.ClickHouse.Tables.Columns;

namespace WorkloadProfiles.ClickHouse.Tables;

/// <summary><c>profiles</c>: one row per image@version and revision (sql/migrations/001_profiles.sql).</summary>
public static class ProfilesTable
{
    public static ClickHouseTable Table { get; } = new("profiles",
    [
        new("image_name", LowCardinalityStringType),
        new("image_tag", StringType),
        new("revision", UInt64Type),
        new("status", LowCardinalityStringType),
        new("snapshot_count", UInt64Type),
        new("container_count", UInt64Type),
        new("host_count", UInt64Type),
        new("node_count", UInt64Type),
        new("rejected_snapshots", UInt64Type),
        new("duplicate_snapshots", UInt64Type),
        new("commonality", Float64Type),
        new("first_processed", DateTimeUtcType),
        new("first_processed_us", Int64Type),
        new("last_updated", DateTimeUtcType),
        new("last_updated_us", Int64Type),
        new("stable_since_us", NullableInt64Type),
        new("snapshot_ids", StringArrayType),
        new("container_ids", StringArrayType),
        new("host_names", StringArrayType),
    ]);

    public static object?[] Row(SecurityProfile profile) =>
    [
        profile.Key.ImageName,
        profile.Key.ImageTag,
        Count(profile.Revision),
        profile.Status.ToString(),
        Count(profile.SnapshotCount),
        Count(profile.ContainerCount),
        Count(profile.HostCount),
        (ulong)profile.Nodes.Count,
        Count(profile.RejectedSnapshots),
        Count(profile.DuplicateSnapshots),
        profile.Commonality,
        Time(profile.FirstProcessedUs),
        profile.FirstProcessedUs,
        Time(profile.LastUpdatedUs),
        profile.LastUpdatedUs,
        profile.StableSinceUs,
        profile.SnapshotIds.ToArray(),
        profile.ContainerIds.ToArray(),
        profile.HostNames.ToArray(),
    ];
}

/// <summary><c>profile_nodes</c>: every node of a profile revision; the greatest revision wins per node.</summary>
public static class ProfileNodesTable
{
    public static ClickHouseTable Table { get; } = new("profile_nodes",
    [
        new("image_name", LowCardinalityStringType),
        new("image_tag", StringType),
        new("node_id", UInt64Type),
        new("parent_id", UInt64Type),
        new("kind", LowCardinalityStringType),
        new("key", StringType),
        new("depth", UInt16Type),
        new("ancestry", StringArrayType),
        new("snapshot_count", UInt64Type),
        new("container_count", UInt64Type),
        new("event_count", UInt64Type),
        new("commonality", Float64Type),
        new("container_commonality", Float64Type),
        new("access", LowCardinalityStringType),
        new("first_seen", DateTimeUtcType),
        new("first_seen_us", Int64Type),
        new("last_seen", DateTimeUtcType),
        new("last_seen_us", Int64Type),
        new("revision", UInt64Type),
        new("signatures", StringArrayType),
        new("signature_snapshot_counts", UInt64ArrayType),
        new("signature_commonalities", Float64ArrayType),
        new("signatures_overflowed", UInt8Type),
    ]);

    public static IEnumerable<object?[]> Rows(SecurityProfile profile)
    {
        var byId = new Dictionary<ulong, ProfileNode>(profile.Nodes.Count);
        foreach (var node in profile.Nodes) byId.TryAdd(node.Id, node);
        return profile.Nodes.Select(node =>
        {
            var ancestry = Ancestry(node, byId);
            return new object?[]
            {
                profile.Key.ImageName,
                profile.Key.ImageTag,
                node.Id,
                node.ParentId,
                Kind(node.Kind),
                node.Key,
                (ushort)(ancestry.Length - 1),
                ancestry,
                Count(node.SnapshotCount),
                Count(node.ContainerCount),
                Count(node.EventCount),
                node.Commonality,
                node.ContainerCommonality,
                Access(node.Access),
                Time(node.FirstSeenUs),
                node.FirstSeenUs,
                Time(node.LastSeenUs),
                node.LastSeenUs,
                Count(profile.Revision),
                node.Signatures.Select(s => s.Text).ToArray(),
                node.Signatures.Select(s => Count(s.SnapshotCount)).ToArray(),
                node.Signatures.Select(s => s.Commonality).ToArray(),
                Flag(node.SignaturesOverflowed),
            };
        });
    }

    /// <summary>
    /// Keys from the top-level node down to <paramref name="node"/>. SQL on 18.16 has no recursive queries, so the
    /// tree shape is stored with each node. A missing parent ends the chain; the depth cap guards against a cycle.
    /// </summary>
    private static string[] Ancestry(ProfileNode node, Dictionary<ulong, ProfileNode> byId)
    {
        const int MaxDepth = 256;
        var keys = new List<string> { node.Key };
        var current = node;
        while (current.ParentId != 0 && keys.Count < MaxDepth && byId.TryGetValue(current.ParentId, out var parent))
        {
            keys.Add(parent.Key);
            current = parent;
        }
        keys.Reverse();
        return keys.ToArray();
    }
}
