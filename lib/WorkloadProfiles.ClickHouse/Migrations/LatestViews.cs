using System.Globalization;
using System.Text;

namespace WorkloadProfiles.ClickHouse.Migrations;

/// <summary>
/// One <c>*_latest</c> view: the current state of a ReplacingMergeTree table, one row per key, every column of the
/// table, node ids as 16-digit lower-case hex (as the explorer, topics and suppression expressions show them).
/// </summary>
/// <param name="Name">The view.</param>
/// <param name="Table">The table it reads.</param>
/// <param name="OneRowPer">What a row stands for (data dictionary).</param>
/// <param name="Latest">How the latest row of a key is chosen: <c>FINAL</c> or an explicit <c>LIMIT 1 BY</c>.</param>
public sealed record LatestView(string Name, string Table, string OneRowPer, string Latest);

/// <summary>
/// The <c>*_latest</c> views analysts and the explorer read instead of the tables, so nobody needs to know which table
/// wants <c>FINAL</c> and which <c>LIMIT 1 BY</c>. They are derived from the tables' columns, not written by hand: after
/// every migration run, a view whose columns no longer match its table (a migration added one) is re-created, so a new
/// column appears in its view without anyone editing the view.
/// </summary>
public static class LatestViews
{
    /// <summary>16 lower-case hex digits of a UInt64 (18.16 has no leftPad: pad, then keep the last 16).</summary>
    public const string HexTemplate = "substring(concat('0000000000000000', lower(hex({0}))), length(hex({0})) + 1, 16)";

    public static IReadOnlyList<LatestView> All { get; } =
    [
        new("profiles_latest", "profiles", "image@version (its latest revision)",
            "ORDER BY revision DESC LIMIT 1 BY image_name, image_tag"),
        new("profile_nodes_latest", "profile_nodes", "image@version and node", "FINAL"),
        new("snapshots_latest", "snapshots", "snapshot (replays collapsed)", "FINAL"),
        new("enriched_signals_latest", "enriched_signals", "signal (its latest enrichment)", "FINAL"),
        new("containers_latest", "containers", "container (its latest inventory update)", "FINAL"),
        new("suppressions_latest", "suppressions", "suppression id (its last change; removed ones have removed = 1)", "FINAL"),
    ];

    /// <summary>Node-id columns are shown as hex: <c>node_id</c>, <c>parent_id</c> and any <c>*_node_id</c> of type UInt64.</summary>
    public static bool IsNodeId(string column, string type) =>
        (column is "node_id" or "parent_id" || column.EndsWith("_node_id", StringComparison.Ordinal)) && type is "UInt64" or "Nullable(UInt64)";

    /// <summary>The view's type of a table column.</summary>
    public static string ViewType(string column, string type) =>
        IsNodeId(column, type) ? type.StartsWith("Nullable", StringComparison.Ordinal) ? "Nullable(String)" : "String" : type;

    /// <summary>The view's SELECT over the table's current columns.</summary>
    public static string Select(LatestView view, IReadOnlyList<(string Name, string Type)> columns)
    {
        var select = new StringBuilder("SELECT ");
        for (var i = 0; i < columns.Count; i++)
        {
            var (name, type) = columns[i];
            if (i > 0) select.Append(", ");
            var identifier = ClickHouseLiteral.Identifier(name);
            select.Append(IsNodeId(name, type) ? $"{string.Format(CultureInfo.InvariantCulture, HexTemplate, identifier)} AS {identifier}" : identifier);
        }

        var latest = view.Latest == "FINAL" ? " FINAL" : "";
        var limit = view.Latest == "FINAL" ? "" : " " + view.Latest;
        return $"{select} FROM {ClickHouseLiteral.Identifier(view.Table)}{latest}{limit}";
    }

    /// <summary>Creates missing views and re-creates those whose columns no longer match their table; returns their names.</summary>
    public static async Task<IReadOnlyList<string>> EnsureAsync(ClickHouseDatabase database, CancellationToken cancellationToken = default)
    {
        // system.columns lists a table's columns in their order (18.16 has no position column to sort by).
        var columns = (await database.QueryListAsync<ColumnRow>(
                $"SELECT table, name, type FROM system.columns WHERE database = {ClickHouseLiteral.String(database.Name)}",
                cancellationToken))
            .GroupBy(c => c.Table, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(c => (c.Name, c.Type)).ToList(), StringComparer.Ordinal);

        var refreshed = new List<string>();
        foreach (var view in All)
        {
            if (!columns.TryGetValue(view.Table, out var tableColumns)) continue; // an older schema without the table
            var expected = tableColumns.Select(c => (c.Name, ViewType(c.Name, c.Type))).ToList();
            if (columns.TryGetValue(view.Name, out var actual) && actual.SequenceEqual(expected)) continue;

            await database.ExecuteAsync($"DROP TABLE IF EXISTS {ClickHouseLiteral.Identifier(view.Name)}", cancellationToken);
            await database.ExecuteAsync(
                $"CREATE VIEW IF NOT EXISTS {ClickHouseLiteral.Identifier(view.Name)} AS {Select(view, tableColumns)}", cancellationToken);
            refreshed.Add(view.Name);
        }

        return refreshed;
    }

    private sealed record ColumnRow(string Table, string Name, string Type);
}
