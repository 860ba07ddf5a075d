using System.Collections.Concurrent;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Explorer.Data;
using static WorkloadProfiles.ClickHouse.ClickHouseLiteral;

namespace WorkloadProfiles.Explorer.Suppressions;

/// <summary>
/// The suppressions as the warehouse knows them (<c>suppressions_latest</c>, fed by the sink from <c>wp.suppressions</c>),
/// overlaid with the changes this explorer published itself: the sink lags the topic, and a user who just accepted a
/// suggestion must see it at once. For each id, the record with the later change wins, as in the table.
/// </summary>
internal sealed class SuppressionCatalog(ClickHouseDatabase database)
{
    private const int MaxRows = 5000;
    private readonly ConcurrentDictionary<string, Suppression> published = new(StringComparer.Ordinal);

    /// <summary>Records a change this process published, so reads see it before the sink has written it.</summary>
    public void Remember(Suppression suppression) =>
        published.AddOrUpdate(suppression.Id, suppression, (_, old) => Version(suppression) >= Version(old) ? suppression : old);

    public async Task<IReadOnlyList<Suppression>> ListAsync(bool includeRemoved, CancellationToken cancellationToken)
    {
        var rows = await database.QueryListAsync<SuppressionRow>(
            $"{Select} ORDER BY created_at_us DESC, suppression_id LIMIT {Number((long)MaxRows)}", cancellationToken);
        var merged = rows.Select(ToDomain).ToDictionary(s => s.Id, StringComparer.Ordinal);
        foreach (var local in published.Values) Merge(merged, local);
        return merged.Values
            .Where(s => includeRemoved || !s.Removed)
            .OrderByDescending(s => s.CreatedAtUs)
            .ThenBy(s => s.Id, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<Suppression?> FindAsync(string id, CancellationToken cancellationToken)
    {
        var rows = await database.QueryListAsync<SuppressionRow>(
            $"{Select} WHERE suppression_id = {String(id)} LIMIT 1", cancellationToken);
        var merged = rows.Select(ToDomain).ToDictionary(s => s.Id, StringComparer.Ordinal);
        if (published.TryGetValue(id, out var local)) Merge(merged, local);
        return merged.GetValueOrDefault(id);
    }

    private const string Select =
        """
        SELECT suppression_id, rule_id, image_name, node_id, expression, description, created_by, created_at_us, removed,
               removed_by, removed_at_us, from_signal_id, signatures
        FROM suppressions_latest
        """;

    private static void Merge(Dictionary<string, Suppression> merged, Suppression candidate)
    {
        if (!merged.TryGetValue(candidate.Id, out var known) || Version(candidate) >= Version(known)) merged[candidate.Id] = candidate;
    }

    /// <summary>The table's version: the time of the last change (creation or removal).</summary>
    private static long Version(Suppression s) => Math.Max(s.CreatedAtUs, s.RemovedAtUs ?? 0);

    private static Suppression ToDomain(SuppressionRow row) => new()
    {
        Id = row.SuppressionId,
        RuleId = row.RuleId,
        ImageName = row.ImageName,
        NodeId = row.NodeId,
        Expression = row.Expression,
        Description = row.Description,
        CreatedBy = row.CreatedBy,
        CreatedAtUs = row.CreatedAtUs,
        Removed = row.Removed != 0,
        RemovedBy = row.Removed != 0 ? row.RemovedBy : null,
        RemovedAtUs = row.RemovedAtUs,
        FromSignalId = row.FromSignalId.Length == 0 ? null : row.FromSignalId,
        Signatures = row.Signatures ?? [],
    };
}
