using System.Text;
using WorkloadProfiles.ClickHouse;
using static WorkloadProfiles.ClickHouse.ClickHouseLiteral;

namespace WorkloadProfiles.Explorer.Data;

/// <summary>Validated filters of the signal list; null means "any".</summary>
internal sealed record SignalFilter(
    string? ImageName = null,
    string? ImageTag = null,
    string? RuleId = null,
    string? Severity = null,
    bool? HasSuggestion = null,
    int Limit = SignalFilter.DefaultLimit)
{
    public const int DefaultLimit = 200;
    public const int MaxLimit = 1000;
}

/// <summary>Reads enriched signals (the latest enrichment of each: <c>enriched_signals_latest</c>), newest first.</summary>
internal sealed class SignalReader(ClickHouseDatabase database)
{
    public const string Columns =
        """
        signal_id, rule_id, rule_name, severity, source, timestamp_us, container_id, image_name, image_tag, host_name, message,
        tags, behaviour_kind, behaviour_process, behaviour_detail, has_profile, profile_status, profile_snapshot_count,
        profile_commonality, behaviour_in_profile, node_id, node_commonality, node_container_commonality, has_suggestion,
        suggestion_node_id, suggestion_expression, suggestion_description, evidence_commonality, evidence_container_commonality,
        evidence_snapshot_count, evidence_first_seen_us, evidence_last_seen_us, no_suggestion_reason, profile_threshold,
        suggestion_signatures, evidence_signature_commonality, process_ancestry,
        orchestrator_namespace, orchestrator_pod_name, orchestrator_workload_kind, orchestrator_workload_name,
        profile_closest_node_id, profile_closest_node_key, behaviour_signatures
        """;

    public Task<IReadOnlyList<SignalRow>> ListAsync(SignalFilter filter, CancellationToken cancellationToken)
    {
        var where = new StringBuilder("1");
        if (filter.ImageName is not null) where.Append(" AND image_name = ").Append(String(filter.ImageName));
        if (filter.ImageTag is not null) where.Append(" AND image_tag = ").Append(String(filter.ImageTag));
        if (filter.RuleId is not null) where.Append(" AND rule_id = ").Append(String(filter.RuleId));
        if (filter.Severity is not null) where.Append(" AND severity = ").Append(String(filter.Severity));
        if (filter.HasSuggestion is { } suggested) where.Append(" AND has_suggestion = ").Append(suggested ? "1" : "0");
        return database.QueryListAsync<SignalRow>(
            $"""
            SELECT {Columns}
            FROM enriched_signals_latest
            WHERE {where}
            ORDER BY timestamp_us DESC, signal_id
            LIMIT {Number((long)filter.Limit)}
            """, cancellationToken);
    }

    public async Task<SignalRow?> GetAsync(string signalId, CancellationToken cancellationToken)
    {
        var rows = await database.QueryListAsync<SignalRow>(
            $"SELECT {Columns} FROM enriched_signals_latest WHERE signal_id = {String(signalId)} LIMIT 1", cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }
}
