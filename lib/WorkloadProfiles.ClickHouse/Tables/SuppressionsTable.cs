using WorkloadProfiles.Domain.Signals;
using static WorkloadProfiles.ClickHouse.Tables.Columns;

namespace WorkloadProfiles.ClickHouse.Tables;

/// <summary><c>suppressions</c>: one row per suppression id; the last change wins (sql/migrations/003_signals.sql).</summary>
public static class SuppressionsTable
{
    public static ClickHouseTable Table { get; } = new("suppressions",
    [
        new("suppression_id", StringType),
        new("rule_id", LowCardinalityStringType),
        new("image_name", LowCardinalityStringType),
        new("node_id", UInt64Type),
        new("expression", StringType),
        new("description", StringType),
        new("created_by", StringType),
        new("created_at", DateTimeUtcType),
        new("created_at_us", Int64Type),
        new("removed", UInt8Type),
        new("removed_by", StringType),
        new("removed_at_us", NullableInt64Type),
        new("from_signal_id", StringType),
        new("version", UInt64Type),
        new("signatures", StringArrayType),
    ]);

    public static object?[] Row(Suppression suppression) =>
    [
        suppression.Id,
        suppression.RuleId,
        suppression.ImageName,
        suppression.NodeId,
        suppression.Expression,
        suppression.Description,
        suppression.CreatedBy,
        Time(suppression.CreatedAtUs),
        suppression.CreatedAtUs,
        Flag(suppression.Removed),
        suppression.RemovedBy ?? "",
        suppression.RemovedAtUs,
        suppression.FromSignalId ?? "",
        // The version is the time of the last change, so a removal supersedes the creation it follows.
        Count(Math.Max(suppression.CreatedAtUs, suppression.RemovedAtUs ?? 0)),
        suppression.Signatures.ToArray(),
    ];
}
