using WorkloadProfiles.ClickHouse.Migrations;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>
/// sql/README.md's data dictionary is the live schema: every table and view of a freshly migrated database, every column
/// with its type and comment. A migration that adds a column must comment it (ALTER TABLE … COMMENT COLUMN) and the
/// dictionary must be regenerated: <c>WP_UPDATE_GOLDEN=1 dotnet test tests/WorkloadProfiles.ClickHouse.Tests --filter DataDictionary</c>.
/// </summary>
public sealed class DataDictionaryTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static string ReadmePath => Path.Combine(LocalClickHouse.RepositoryRoot, "sql", "README.md");

    [Fact]
    public async Task The_readme_dictionary_is_the_live_schema()
    {
        await new Migrator(fixture.Database).MigrateAsync();
        var live = await DataDictionary.RenderAsync(fixture.Database);

        var readme = File.ReadAllText(ReadmePath).ReplaceLineEndings("\n");
        var begin = readme.IndexOf(DataDictionary.Begin, StringComparison.Ordinal);
        var end = readme.IndexOf(DataDictionary.End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"sql/README.md has no data dictionary between {DataDictionary.Begin} and {DataDictionary.End}");
        var documented = readme[(begin + DataDictionary.Begin.Length)..end].Trim('\n') + "\n";
        if (Environment.GetEnvironmentVariable("WP_UPDATE_GOLDEN") == "1" && documented != live)
        {
            File.WriteAllText(ReadmePath, string.Concat(readme.AsSpan(0, begin + DataDictionary.Begin.Length), "\n", live, readme.AsSpan(end)));
            documented = live;
        }

        Assert.Equal(live, documented);
    }

    [Fact]
    public async Task Every_column_of_every_table_and_view_is_commented()
    {
        await new Migrator(fixture.Database).MigrateAsync();
        var live = await DataDictionary.RenderAsync(fixture.Database);

        var uncommented = live.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal) && l.EndsWith("|  |", StringComparison.Ordinal));
        Assert.Empty(uncommented);
        foreach (var view in LatestViews.All) Assert.Contains($"### `{view.Name}` — view", live, StringComparison.Ordinal);
    }
}
