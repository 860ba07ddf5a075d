using WorkloadProfiles.ClickHouse;
using static WorkloadProfiles.ClickHouse.ClickHouseLiteral;

namespace WorkloadProfiles.Explorer.Data;

internal enum SignalGroupSort
{
    LastSeen,
    FirstSeen,
    Count,
    Severity,
}

/// <summary>
/// The signals view: enriched signals grouped by (rule, image, behaviour node), with paging done by the server. Every
/// query reads the latest enrichment of each signal (<c>enriched_signals_latest</c>) and keeps its SQL here, so the view
/// can move to other tables or views without touching the API.
/// </summary>
internal sealed class SignalGroupReader(ClickHouseDatabase database, TimeProvider clock)
{
    private const string GroupKey = $"rule_id, image_name, {SignalColumns.Profiled}, {SignalColumns.BehaviourKey}";
    private static readonly TimeSpan SchemaCacheTime = TimeSpan.FromMinutes(1);
    // Replaced whole (a reference), so concurrent requests never see half of an update.
    private volatile SchemaProbe? schema;

    public async Task<SignalGroupPage> GroupsAsync(SignalScope scope, SignalGroupSort sort, int page, int pageSize, CancellationToken cancellationToken)
    {
        var hasNamespace = await HasNamespaceAsync(cancellationToken);
        var where = scope.Where(hasNamespace);
        var order = sort switch
        {
            SignalGroupSort.FirstSeen => "first_seen_us DESC",
            SignalGroupSort.Count => "signals DESC, last_seen_us DESC",
            SignalGroupSort.Severity => "severity_rank DESC, last_seen_us DESC",
            _ => "last_seen_us DESC",
        };
        // Aliases differ from column names: 18.16 substitutes aliases inside other aggregates of the same SELECT.
        var groups = database.QueryListAsync<SignalGroupRow>(
            $"""
            SELECT rule_id AS group_rule_id,
                   image_name AS group_image_name,
                   {SignalColumns.Profiled} AS profiled,
                   {SignalColumns.BehaviourKey} AS behaviour_key,
                   any(rule_name) AS any_rule_name,
                   argMax(toString(behaviour_kind), timestamp_us) AS latest_kind,
                   argMax(behaviour_process, timestamp_us) AS latest_process,
                   argMax(behaviour_detail, timestamp_us) AS latest_detail,
                   anyIf(suggestion_description, has_suggestion = 1) AS suggested_description,
                   count() AS signals,
                   uniqExact(container_id) AS containers,
                   min(timestamp_us) AS first_seen_us,
                   max(timestamp_us) AS last_seen_us,
                   max({SignalColumns.SeverityRank}) AS severity_rank,
                   sum(has_suggestion) AS suggested,
                   groupUniqArray(image_tag) AS image_tags,
                   argMax(signal_id, timestamp_us) AS latest_signal_id,
                   {(hasNamespace ? $"groupUniqArray({SignalColumns.Namespace})" : "emptyArrayString()")} AS namespaces
            FROM enriched_signals_latest
            WHERE {where}
            GROUP BY {GroupKey}
            ORDER BY {order}, group_rule_id, group_image_name, profiled, behaviour_key
            LIMIT {Number((long)(page - 1) * pageSize)}, {Number((long)pageSize)}
            """, cancellationToken);
        var totals = database.QueryListAsync<GroupTotalsRow>(
            $"""
            SELECT uniqExact({GroupKey}) AS groups, count() AS signals FROM enriched_signals_latest WHERE {where}
            """, cancellationToken);
        await Task.WhenAll(groups, totals);
        var total = totals.Result.Count == 0 ? new GroupTotalsRow(0, 0) : totals.Result[0];
        return new SignalGroupPage(groups.Result, total.Groups, total.Signals, hasNamespace);
    }

    /// <summary>The signals of one group (the scope carries its rule, image and behaviour), newest first.</summary>
    public async Task<(IReadOnlyList<SignalRow> Signals, ulong Total)> SignalsAsync(SignalScope scope, int page, int pageSize, CancellationToken cancellationToken)
    {
        var where = scope.Where(await HasNamespaceAsync(cancellationToken));
        var rows = database.QueryListAsync<SignalRow>(
            $"""
            SELECT {SignalReader.Columns}
            FROM enriched_signals_latest
            WHERE {where}
            ORDER BY timestamp_us DESC, signal_id
            LIMIT {Number((long)(page - 1) * pageSize)}, {Number((long)pageSize)}
            """, cancellationToken);
        var total = database.ScalarTextAsync($"SELECT count() FROM enriched_signals_latest WHERE {where}", cancellationToken);
        await Task.WhenAll(rows, total);
        return (rows.Result, ulong.Parse(total.Result.Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The values the filters offer within a time range: rules, images, severities and (when recorded) namespaces.</summary>
    public async Task<SignalFacets> FacetsAsync(SignalScope timeRange, CancellationToken cancellationToken)
    {
        var hasNamespace = await HasNamespaceAsync(cancellationToken);
        var where = (timeRange with { Severities = null, RuleId = null, ImageName = null, ImageTag = null, Suggested = null, Namespace = null, Behaviour = null, Origin = SignalOrigin.Any })
            .Where(hasNamespace);
        Task<IReadOnlyList<FacetRow>> Facet(string value, string label) => database.QueryListAsync<FacetRow>(
            $"""
            SELECT toString({value}) AS facet_value, toString(any({label})) AS facet_label, count() AS total
            FROM enriched_signals_latest
            WHERE {where}
            GROUP BY {value}
            ORDER BY total DESC, facet_value
            LIMIT 1000
            """, cancellationToken);
        var rules = Facet("rule_id", "rule_name");
        var images = Facet("image_name", "image_name");
        var severities = Facet("severity", "severity");
        var namespaces = hasNamespace ? Facet(SignalColumns.Namespace, SignalColumns.Namespace) : Task.FromResult<IReadOnlyList<FacetRow>>([]);
        await Task.WhenAll(rules, images, severities, namespaces);
        return new SignalFacets(rules.Result, images.Result, severities.Result, namespaces.Result.Where(n => n.FacetValue.Length > 0).ToList());
    }

    /// <summary>Whether <c>enriched_signals_latest</c> has the namespace column; asked once a minute, so a new migration shows up.</summary>
    private async Task<bool> HasNamespaceAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (schema is { } known && now - known.ReadAt < SchemaCacheTime) return known.HasNamespace;
        var count = await database.ScalarTextAsync(
            $"""
            SELECT count() FROM system.columns
            WHERE database = {String(database.Name)} AND table = 'enriched_signals_latest' AND name = {String(SignalColumns.Namespace)}
            """, cancellationToken);
        var hasNamespace = count.Trim() != "0";
        schema = new SchemaProbe(hasNamespace, now);
        return hasNamespace;
    }

    private sealed record SchemaProbe(bool HasNamespace, DateTimeOffset ReadAt);
}

internal sealed record SignalGroupRow(
    string GroupRuleId,
    string GroupImageName,
    byte Profiled,
    ulong BehaviourKey,
    string AnyRuleName,
    string LatestKind,
    string LatestProcess,
    string LatestDetail,
    string SuggestedDescription,
    ulong Signals,
    ulong Containers,
    long FirstSeenUs,
    long LastSeenUs,
    byte SeverityRank,
    ulong Suggested,
    string[] ImageTags,
    string LatestSignalId,
    string[] Namespaces);

internal sealed record GroupTotalsRow(ulong Groups, ulong Signals);

internal sealed record SignalGroupPage(IReadOnlyList<SignalGroupRow> Groups, ulong TotalGroups, ulong TotalSignals, bool HasNamespace);

internal sealed record FacetRow(string FacetValue, string FacetLabel, ulong Total);

internal sealed record SignalFacets(
    IReadOnlyList<FacetRow> Rules, IReadOnlyList<FacetRow> Images, IReadOnlyList<FacetRow> Severities, IReadOnlyList<FacetRow> Namespaces);
