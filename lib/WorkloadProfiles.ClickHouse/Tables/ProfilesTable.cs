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
        new("dropped_nodes", UInt64Type),
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
        Count(profile.DroppedNodes),
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
        var depths = new Dictionary<ulong, int>(profile.Nodes.Count);
        return profile.Nodes.Select(node => new object?[]
        {
            profile.Key.ImageName,
            profile.Key.ImageTag,
            node.Id,
            node.ParentId,
            Kind(node.Kind),
            node.Key,
            (ushort)Math.Min(Depth(node, byId, depths), ushort.MaxValue),
            Ancestry(node, byId),
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
        });
    }

    /// <summary>Most ancestors an ancestry keeps, and most key bytes: a container decides how deep its tree grows, and every
    /// node of a deep chain carries its ancestry, so an unbounded one would make a profile's rows quadratic in its depth.</summary>
    internal const int MaxAncestry = 256, MaxAncestryChars = 16 * 1024;

    /// <summary>
    /// Keys from the top-level node down to <paramref name="node"/>. SQL on 18.16 has no recursive queries, so the
    /// tree shape is stored with each node. A missing parent ends the chain; past <see cref="MaxAncestry"/> keys or
    /// <see cref="MaxAncestryChars"/> characters the nearest ancestors are kept (the depth column has the true depth).
    /// </summary>
    private static string[] Ancestry(ProfileNode node, Dictionary<ulong, ProfileNode> byId)
    {
        var keys = new List<string> { node.Key };
        var chars = node.Key.Length;
        var current = node;
        while (current.ParentId != 0 && keys.Count < MaxAncestry && byId.TryGetValue(current.ParentId, out var parent)
               && chars + parent.Key.Length <= MaxAncestryChars)
        {
            keys.Add(parent.Key);
            chars += parent.Key.Length;
            current = parent;
        }
        keys.Reverse();
        return keys.ToArray();
    }

    /// <summary>Levels below the container root (0 for a top-level node), memoized over the profile; a cycle ends the chain.</summary>
    private static int Depth(ProfileNode node, Dictionary<ulong, ProfileNode> byId, Dictionary<ulong, int> depths)
    {
        var chain = new List<ulong>();
        var visiting = new HashSet<ulong>();
        var current = node;
        var depth = -1;
        while (true)
        {
            if (depths.TryGetValue(current.Id, out var known)) { depth = known; break; }
            if (!visiting.Add(current.Id)) break;
            chain.Add(current.Id);
            if (current.ParentId == 0 || !byId.TryGetValue(current.ParentId, out var parent)) break;
            current = parent;
        }
        for (var i = chain.Count - 1; i >= 0; i--) depths[chain[i]] = ++depth;
        return depths[node.Id];
    }
}
