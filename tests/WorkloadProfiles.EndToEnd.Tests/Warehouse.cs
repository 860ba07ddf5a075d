using System.Globalization;
using WorkloadProfiles.ClickHouse;

namespace WorkloadProfiles.EndToEnd.Tests;

internal sealed record ProfileRow(string Status, long SnapshotCount, double Commonality, long LatestRevision);

internal sealed record NodeRow(string Kind, string Key, double Commonality, long ContainerCount);

internal sealed record SignalRow(string SignalId, ulong SuggestionNodeId);

internal sealed record CountRow(long Value);

internal sealed record DriftRow(string SignalId, string RuleId, string BehaviourDetail, byte HasSuggestion, string NoSuggestionReason,
    string ProfileClosestNodeKey, long TimestampUs);

/// <summary>The test's questions to ClickHouse about one image@version, in 18.16's SQL (rows bind by snake_case name).</summary>
internal sealed class Warehouse(ClickHouseDatabase database, string image, string tag)
{
    string Scope => $"image_name = {ClickHouseLiteral.String(image)} AND image_tag = {ClickHouseLiteral.String(tag)}";

    async Task<long> Count(string sql) => (await database.QueryListAsync<CountRow>(sql)).Single().Value;

    public async Task<ProfileRow?> ProfileAsync() =>
        (await database.QueryListAsync<ProfileRow>(
            "SELECT argMax(status, revision) AS status, argMax(snapshot_count, revision) AS snapshot_count, " +
            $"argMax(commonality, revision) AS commonality, max(revision) AS latest_revision FROM profiles WHERE {Scope} GROUP BY image_name, image_tag")).SingleOrDefault();

    /// <summary>The nodes of one profile revision (the sink writes every node of each revision it stores).</summary>
    public Task<IReadOnlyList<NodeRow>> NodesAsync(long revision) =>
        database.QueryListAsync<NodeRow>(
            $"SELECT kind, key, commonality, container_count FROM profile_nodes WHERE {Scope} AND revision = {ClickHouseLiteral.Number(revision)}");

    public async Task<SignalRow?> SuggestedSignalAsync(string rule, string? containerId = null) =>
        (await database.QueryListAsync<SignalRow>(
            $"SELECT signal_id, suggestion_node_id FROM enriched_signals FINAL WHERE {Scope} AND rule_id = {ClickHouseLiteral.String(rule)} " +
            $"{OfContainer(containerId)} AND has_suggestion = 1 AND profile_status = 'Stable' ORDER BY timestamp_us DESC LIMIT 1")).SingleOrDefault();

    public async Task<bool> UnsuggestedAsync(string rule, string? containerId = null) =>
        await Count($"SELECT count() AS value FROM enriched_signals FINAL WHERE {Scope} AND rule_id = {ClickHouseLiteral.String(rule)} " +
                    $"{OfContainer(containerId)} AND has_suggestion = 0 AND profile_status = 'Stable' AND no_suggestion_reason != ''") > 0;

    static string OfContainer(string? containerId) =>
        containerId is null ? "" : $"AND container_id = {ClickHouseLiteral.String(containerId)}";

    public Task<long> SuggestedCountAsync(string rule) =>
        Count($"SELECT count() AS value FROM enriched_signals FINAL WHERE {Scope} AND rule_id = {ClickHouseLiteral.String(rule)} AND has_suggestion = 1");

    public Task<long> LastSignalUsAsync(string rule, ulong nodeId) =>
        Count($"SELECT max(timestamp_us) AS value FROM enriched_signals WHERE {Scope} AND rule_id = {ClickHouseLiteral.String(rule)} " +
              $"AND suggestion_node_id = {ClickHouseLiteral.Number(nodeId)}");

    /// <summary>Whether a snapshot whose window starts at or after <paramref name="fromUs"/> saw the node.</summary>
    public async Task<bool> WindowWithNodeAfterAsync(ulong nodeId, long fromUs) =>
        await Count($"SELECT count() AS value FROM snapshot_nodes WHERE {Scope} AND node_id = {ClickHouseLiteral.Number(nodeId)} " +
                    $"AND snapshot_id IN (SELECT snapshot_id FROM snapshots WHERE {Scope} AND window_start_us >= {ClickHouseLiteral.Number(fromUs)})") > 0;

    /// <summary>Drift signals of one container, enriched, oldest first.</summary>
    public Task<IReadOnlyList<DriftRow>> DriftAsync(string containerId) =>
        database.QueryListAsync<DriftRow>(
            "SELECT signal_id, rule_id, behaviour_detail, has_suggestion, no_suggestion_reason, profile_closest_node_key, timestamp_us " +
            $"FROM enriched_signals FINAL WHERE {Scope} {OfContainer(containerId)} AND rule_id LIKE 'wp.drift.%' ORDER BY timestamp_us");
}
