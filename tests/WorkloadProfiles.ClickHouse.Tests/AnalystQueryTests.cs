using System.Text.Json;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>
/// Every file in sql/queries runs against the seeded <see cref="SampleWarehouse"/> and returns the expected rows, with its
/// parameters set the way an analyst sets them: by editing the literals of the WITH block at its top
/// (<see cref="AnalystQuery"/>). <c>DemoQueryTests</c> (end-to-end tests) runs them as shipped on the demo data.
/// </summary>
public sealed class AnalystQueryTests(SampleWarehouseFixture fixture) : IClassFixture<SampleWarehouseFixture>
{
    private static string QueriesFolder => Path.Combine(LocalClickHouse.RepositoryRoot, "sql", "queries");

    [Fact]
    public async Task Profiles_by_image_lists_each_version_at_its_latest_revision()
    {
        var rows = await RunAsync("01_profiles_by_image.sql");

        Assert.Equal(
            ["nginx 1.26 Stable 3 3", "nginx 1.27 Learning 1 1", "redis 7.2 Stable 20 5"],
            rows.Select(r => Columns(r, "image_name", "image_tag", "status", "snapshot_count", "revision")));
    }

    [Fact]
    public async Task Process_tree_is_depth_first_with_the_latest_commonality()
    {
        var rows = await RunAsync("02_process_tree.sql", ("param_image", "nginx"), ("param_version", "1.26"));

        Assert.Equal(
            ["/usr/sbin/nginx", "    /bin/sh -c *", "        /usr/bin/curl", "    /etc/nginx/*.conf", "    api.example.com"],
            rows.Select(r => r["behaviour"].GetString()));
        // Revision 2 had /bin/sh -c * at 0.5; revision 3 (1 of 3 snapshots) must win.
        Assert.Equal("0.333", Columns(rows[1], "node_commonality"));
        Assert.Equal("0000000000001004", Columns(rows[1], "node_id"));
        Assert.Equal("file r", Columns(rows[3], "kind", "access"));
    }

    [Fact]
    public async Task Least_common_behaviours_come_from_stable_profiles_only_rarest_first()
    {
        var rows = await RunAsync("03_least_common_behaviours.sql");

        Assert.Equal(
        [
            "redis 7.2 /usr/bin/redis-server › /bin/sh -c * 0.05",
            "nginx 1.26 /usr/sbin/nginx › /bin/sh -c * 0.333",
            "nginx 1.26 /usr/sbin/nginx › /bin/sh -c * › /usr/bin/curl 0.333",
            "nginx 1.26 /usr/sbin/nginx › api.example.com 0.667",
        ], rows.Take(4).Select(r => Columns(r, "image_name", "image_tag", "behaviour", "node_commonality")));
        Assert.Equal(8, rows.Count);
        Assert.DoesNotContain(rows, r => r["image_tag"].GetString() == "1.27");
    }

    [Fact]
    public async Task Suggestions_per_rule_count_signals_and_show_acceptance()
    {
        var rows = await RunAsync("04_signal_suggestions_by_rule.sql");

        Assert.Equal(
            ["read-sensitive-config nginx 2 1", "read-sensitive-config redis 1 0"],
            rows.Select(r => Columns(r, "rule_id", "image_name", "signals", "accepted")));
        Assert.Contains("0000000000001002", rows[0]["suggestion_expression"].GetString());
        Assert.Equal("0000000000001002", rows[0]["node_id"].GetString());
    }

    [Fact]
    public async Task Snapshots_of_a_profile_are_the_merged_ones_only()
    {
        var rows = await RunAsync("05_profile_snapshots.sql", ("param_image", "nginx"), ("param_version", "1.26"));

        // c9:9000 belongs to the image but arrived after the profile turned Stable: not merged, not listed.
        Assert.Equal(["c1:1000", "c2:2000", "c3:3000"], rows.Select(r => r["snapshot_id"].GetString()));
    }

    [Fact]
    public async Task Version_diff_lists_added_and_removed_behaviours()
    {
        var rows = await RunAsync("06_version_diff.sql", ("param_image", "nginx"), ("param_old_version", "1.26"), ("param_new_version", "1.27"));

        Assert.Equal(
        [
            "added network /usr/sbin/nginx › tcp/443/public",
            "removed process /usr/sbin/nginx › /bin/sh -c *",
            "removed process /usr/sbin/nginx › /bin/sh -c * › /usr/bin/curl",
            "removed dns /usr/sbin/nginx › api.example.com",
        ], rows.Select(r => Columns(r, "change", "node_kind", "behaviour")));
    }

    [Fact]
    public async Task Signals_by_workload_group_by_namespace_and_owning_workload()
    {
        var rows = await RunAsync("07_signals_by_workload.sql");

        Assert.Equal(
            ["shop Deployment/web 2 1 1 2", "  1 1 1 1", "shop Pod/debug 1 1 1 0"],
            rows.Select(r => Columns(r, "namespace", "workload", "signals", "rules", "pods", "suggested")));
    }

    [Fact]
    public async Task The_inventory_keeps_a_pods_labels_sorted_by_key()
    {
        var labels = await fixture.Database.ScalarTextAsync(
            "SELECT concat(orchestrator_workload_kind, ' ', arrayStringConcat(arrayMap((k, v) -> concat(k, '=', v), orchestrator_label_keys, orchestrator_label_values), ',')) " +
            "FROM containers FINAL WHERE container_id = 'c1'");
        Assert.Equal("Deployment app=web,pod-template-hash=5d8f7c9b4", labels.Trim());
        Assert.Equal("", (await fixture.Database.ScalarTextAsync("SELECT orchestrator_namespace FROM containers FINAL WHERE container_id = 'c4'")).Trim());
    }

    public static TheoryData<string> QueryFiles =>
        new(Directory.GetFiles(Path.Combine(LocalClickHouse.RepositoryRoot, "sql", "queries"), "*.sql").Select(Path.GetFileName)!);

    [Fact]
    public void Every_query_file_has_a_test_above()
    {
        var tested = new[]
        {
            "01_profiles_by_image.sql", "02_process_tree.sql", "03_least_common_behaviours.sql",
            "04_signal_suggestions_by_rule.sql", "05_profile_snapshots.sql", "06_version_diff.sql", "07_signals_by_workload.sql",
        };
        Assert.Equal(tested, Directory.GetFiles(QueriesFolder, "*.sql").Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task One_image_or_one_rule_narrows_the_list()
    {
        var redis = await RunAsync("01_profiles_by_image.sql", ("param_image", "redis"));
        Assert.Equal(["redis 7.2"], redis.Select(r => Columns(r, "image_name", "image_tag")));
        var rare = await RunAsync("03_least_common_behaviours.sql", ("param_image", "nginx"));
        Assert.All(rare, r => Assert.Equal("nginx", r["image_name"].GetString()));
        Assert.Empty(await RunAsync("04_signal_suggestions_by_rule.sql", ("param_rule", "no-such-rule")));
    }

    [Theory]
    [MemberData(nameof(QueryFiles))]
    public void Parameters_are_declared_at_the_top(string file)
    {
        var text = File.ReadAllText(Path.Combine(QueriesFolder, file));
        var parameters = AnalystQuery.Parameters(text);
        Assert.NotEmpty(parameters);
        Assert.Contains("-- Parameters:", text, StringComparison.Ordinal);
        // Everything before the parameters is the header comment; the parameters open the statement.
        Assert.All(text[..text.IndexOf("WITH", StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries),
            line => Assert.StartsWith("--", line, StringComparison.Ordinal));
        Assert.All(parameters.Keys, name => Assert.Contains("param_", name, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(QueryFiles))]
    public async Task Query_file_runs_as_is_in_clickhouse_client(string file)
    {
        var sql = await File.ReadAllTextAsync(Path.Combine(QueriesFolder, file));
        var result = await ClickHouseCli.RunAsync(fixture.Database.Name, sql);

        Assert.True(result.ExitCode == 0, $"clickhouse-client exited with {result.ExitCode}: {result.Error}");
        // The header names the columns the file selects; the rows depend on the data (the demo test checks there are some).
        Assert.False(string.IsNullOrWhiteSpace(result.Output.Split('\n')[0]), "no header line");
    }

    private async Task<IReadOnlyList<Dictionary<string, JsonElement>>> RunAsync(string file, params (string Name, string Value)[] parameters)
    {
        var text = AnalystQuery.WithParameters(await File.ReadAllTextAsync(Path.Combine(QueriesFolder, file)), parameters);
        var statement = Assert.Single(SqlScript.Split(text));
        return await fixture.Database.QueryListAsync<Dictionary<string, JsonElement>>(statement);
    }

    private static string Columns(Dictionary<string, JsonElement> row, params string[] names) =>
        string.Join(' ', names.Select(n => row[n].ValueKind == JsonValueKind.String ? row[n].GetString() : row[n].GetRawText()));
}
