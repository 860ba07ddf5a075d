using System.Text;
using WorkloadProfiles.ClickHouse.Migrations;

namespace WorkloadProfiles.ClickHouse;

/// <summary>
/// The data dictionary of a migrated database as Markdown: every table and <c>*_latest</c> view with each column's type
/// and comment (a view shows its table's comments). <c>sql/README.md</c> carries it between the markers
/// <see cref="Begin"/> and <see cref="End"/>, and a test renders the live schema and compares.
/// </summary>
public static class DataDictionary
{
    public const string Begin = "<!-- data-dictionary:begin (generated from the live schema; see tests/WorkloadProfiles.ClickHouse.Tests/DataDictionaryTests.cs) -->";
    public const string End = "<!-- data-dictionary:end -->";

    public static async Task<string> RenderAsync(ClickHouseDatabase database, CancellationToken cancellationToken = default)
    {
        var columns = await database.QueryListAsync<ColumnRow>(
            $"""
            SELECT table, name, type, comment FROM system.columns
            WHERE database = {ClickHouseLiteral.String(database.Name)} AND table != {ClickHouseLiteral.String(Migrator.HistoryTable)}
            """, cancellationToken);
        var byTable = columns.GroupBy(c => c.Table, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var views = LatestViews.All.ToDictionary(v => v.Name, StringComparer.Ordinal);

        var text = new StringBuilder();
        foreach (var (table, tableColumns) in byTable.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var view = views.GetValueOrDefault(table);
            text.Append("### `").Append(table).Append('`');
            text.Append(view is null ? "\n\n" : $" — view: one row per {view.OneRowPer}, from `{view.Table}`\n\n");
            text.Append("| column | type | meaning |\n|---|---|---|\n");
            foreach (var column in tableColumns)
            {
                var comment = view is null ? column.Comment : ViewComment(column, byTable.GetValueOrDefault(view.Table));
                text.Append("| `").Append(column.Name).Append("` | `").Append(column.Type).Append("` | ")
                    .Append(comment.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
            }

            text.Append('\n');
        }

        return text.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>A view column means what its table column means; node ids add their hex form.</summary>
    static string ViewComment(ColumnRow column, List<ColumnRow>? tableColumns)
    {
        var source = tableColumns?.FirstOrDefault(c => c.Name == column.Name);
        if (source is null) return column.Comment;
        return LatestViews.IsNodeId(source.Name, source.Type) ? $"{source.Comment} (16-digit lower-case hex)" : source.Comment;
    }

    private sealed record ColumnRow(string Table, string Name, string Type, string Comment);
}
