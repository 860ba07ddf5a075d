using WorkloadProfiles.ClickHouse;
using static WorkloadProfiles.ClickHouse.ClickHouseLiteral;

namespace WorkloadProfiles.Explorer.Data;

/// <summary>
/// Reads profiles, their nodes, snapshots and the container inventory from the <c>*_latest</c> views (one row per
/// profile, node, snapshot, container; node ids as hex), the same the analyst queries read. Every value in the SQL text
/// goes through <see cref="ClickHouseLiteral"/>.
/// </summary>
internal sealed class ProfileReader(ClickHouseDatabase database)
{
    // The latest revision of every image@version, with the columns the callers need.
    private const string LatestProfiles =
        """
        SELECT image_name, image_tag, revision, status, snapshot_count, container_count, host_count, node_count,
               rejected_snapshots, duplicate_snapshots, commonality, first_processed_us, last_updated_us, stable_since_us,
               snapshot_ids, host_names, dropped_nodes
        FROM profiles_latest
        {0}
        """;

    // Aggregate aliases must differ from column names: ClickHouse substitutes aliases, so "max(x) AS x" would nest max
    // inside argMax(…, x).
    public Task<IReadOnlyList<ImageRow>> ImagesAsync(CancellationToken cancellationToken) =>
        database.QueryListAsync<ImageRow>(
            $"""
            SELECT image_name,
                   count() AS versions,
                   countIf(status = 'Stable') AS stable_versions,
                   argMax(image_tag, last_updated_us) AS latest_tag,
                   argMax(status, last_updated_us) AS latest_status,
                   argMax(commonality, last_updated_us) AS latest_commonality,
                   sum(snapshot_count) AS total_snapshots,
                   max(last_updated_us) AS last_update_us
            FROM ({string.Format(null, LatestProfiles, "")})
            GROUP BY image_name
            ORDER BY image_name
            """, cancellationToken);

    public Task<IReadOnlyList<ProfileRow>> ProfilesOfImageAsync(string image, CancellationToken cancellationToken) =>
        database.QueryListAsync<ProfileRow>(
            $"SELECT * FROM ({string.Format(null, LatestProfiles, $"WHERE image_name = {String(image)}")}) ORDER BY last_updated_us DESC, image_tag",
            cancellationToken);

    public async Task<ProfileRow?> ProfileAsync(string image, string tag, CancellationToken cancellationToken)
    {
        var rows = await database.QueryListAsync<ProfileRow>(
            string.Format(null, LatestProfiles, $"WHERE image_name = {String(image)} AND image_tag = {String(tag)}"), cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The nodes of a profile (latest revision of each), at most <paramref name="limit"/>, ordered depth-first.</summary>
    public Task<IReadOnlyList<NodeRow>> NodesAsync(string image, string tag, int limit, CancellationToken cancellationToken) =>
        database.QueryListAsync<NodeRow>(
            $"""
            SELECT node_id, parent_id, kind, key, ancestry, snapshot_count, container_count, event_count, commonality,
                   container_commonality, access, first_seen_us, last_seen_us, signatures, signature_snapshot_counts,
                   signature_commonalities, signatures_overflowed
            FROM profile_nodes_latest
            WHERE image_name = {String(image)} AND image_tag = {String(tag)}
            ORDER BY depth, ancestry
            LIMIT {Number((long)limit)}
            """, cancellationToken);

    /// <summary>The snapshots merged into the latest revision of a profile, oldest window first.</summary>
    public Task<IReadOnlyList<SnapshotRow>> SnapshotsAsync(string image, string tag, int limit, CancellationToken cancellationToken)
    {
        var scope = $"image_name = {String(image)} AND image_tag = {String(tag)}";
        return database.QueryListAsync<SnapshotRow>(
            $"""
            SELECT snapshot_id, container_id, host_name, window_start_us, window_end_us, event_count, node_count,
                   closed_by_exit, truncated, dropped_nodes, dropped_events
            FROM snapshots_latest
            WHERE {scope}
              AND snapshot_id IN (SELECT arrayJoin(snapshot_ids) FROM profiles_latest WHERE {scope})
            ORDER BY window_start_us, snapshot_id
            LIMIT {Number((long)limit)}
            """, cancellationToken);
    }

    /// <summary>Containers of an image (any version) that are running now, from the agents' inventory.</summary>
    public Task<IReadOnlyList<ContainerRow>> RunningContainersAsync(string image, CancellationToken cancellationToken) =>
        database.QueryListAsync<ContainerRow>(
            $"""
            SELECT container_id, name, image_name, image_tag, host_name, state, profiled, started_at_us, profiling_since_us,
                   orchestrator_namespace, orchestrator_pod_name, orchestrator_workload_kind, orchestrator_workload_name
            FROM containers_latest
            WHERE image_name = {String(image)} AND state = 'Running'
            ORDER BY image_tag, host_name, container_id
            LIMIT 1000
            """, cancellationToken);

    /// <summary>Running containers per image name (or per version of <paramref name="image"/> when given).</summary>
    public async Task<IReadOnlyDictionary<string, ulong>> RunningCountsAsync(string? image, CancellationToken cancellationToken)
    {
        var (groupBy, where) = image is null ? ("image_name", "") : ("image_tag", $"AND image_name = {String(image)}");
        var rows = await database.QueryListAsync<CountRow>(
            $"SELECT {groupBy} AS group_key, count() AS total FROM containers_latest WHERE state = 'Running' {where} GROUP BY {groupBy}",
            cancellationToken);
        return rows.ToDictionary(r => r.GroupKey, r => r.Total, StringComparer.Ordinal);
    }

    /// <summary>Signals per version of an image.</summary>
    public async Task<IReadOnlyDictionary<string, ulong>> SignalCountsAsync(string image, CancellationToken cancellationToken)
    {
        var rows = await database.QueryListAsync<CountRow>(
            $"SELECT image_tag AS group_key, count() AS total FROM enriched_signals_latest WHERE image_name = {String(image)} GROUP BY image_tag",
            cancellationToken);
        return rows.ToDictionary(r => r.GroupKey, r => r.Total, StringComparer.Ordinal);
    }
}
