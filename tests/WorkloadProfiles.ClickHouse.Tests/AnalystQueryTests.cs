using System.Diagnostics;
using System.Text.Json;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>Every file in sql/queries runs against the seeded <see cref="SampleWarehouse"/> and returns the expected rows.</summary>
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
        var rows = await RunAsync("02_process_tree.sql");

        Assert.Equal(
            ["/usr/sbin/nginx", "    /bin/sh -c *", "        /usr/bin/curl", "    /etc/nginx/*.conf", "    api.example.com"],
            rows.Select(r => r["behaviour"].GetString()));
        // Revision 2 had /bin/sh -c * at 0.5; revision 3 (1 of 3 snapshots) must win.
        Assert.Equal("0.333", Columns(rows[1], "commonality"));
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
        ], rows.Take(4).Select(r => Columns(r, "image_name", "image_tag", "behaviour", "commonality")));
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
    }

    [Fact]
    public async Task Snapshots_of_a_profile_are_the_merged_ones_only()
    {
        var rows = await RunAsync("05_profile_snapshots.sql");

        // c9:9000 belongs to the image but arrived after the profile turned Stable: not merged, not listed.
        Assert.Equal(["c1:1000", "c2:2000", "c3:3000"], rows.Select(r => r["snapshot_id"].GetString()));
    }

    [Fact]
    public async Task Version_diff_lists_added_and_removed_behaviours()
    {
        var rows = await RunAsync("06_version_diff.sql");

        Assert.Equal(
        [
            "added network /usr/sbin/nginx › tcp/443/public",
            "removed process /usr/sbin/nginx › /bin/sh -c *",
            "removed process /usr/sbin/nginx › /bin/sh -c * › /usr/bin/curl",
            "removed dns /usr/sbin/nginx › api.example.com",
        ], rows.Select(r => Columns(r, "change", "kind", "behaviour")));
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

    [Theory]
    [MemberData(nameof(QueryFiles))]
    public async Task Query_file_runs_as_is_in_clickhouse_client(string file)
    {
        var port = Environment.GetEnvironmentVariable("WP_CLICKHOUSE_TCP_PORT") ?? "19000";
        var start = new ProcessStartInfo("clickhouse-client")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { "--host", "127.0.0.1", "--port", port, "--database", fixture.Database.Name, "--multiquery" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(await File.ReadAllTextAsync(Path.Combine(QueriesFolder, file)));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, $"clickhouse-client exited with {process.ExitCode}: {await error}");
        Assert.NotEmpty((await output).Trim());
    }

    private async Task<IReadOnlyList<Dictionary<string, JsonElement>>> RunAsync(string file)
    {
        var statement = Assert.Single(SqlScript.Split(await File.ReadAllTextAsync(Path.Combine(QueriesFolder, file))));
        return await fixture.Database.QueryListAsync<Dictionary<string, JsonElement>>(statement);
    }

    private static string Columns(Dictionary<string, JsonElement> row, params string[] names) =>
        string.Join(' ', names.Select(n => row[n].ValueKind == JsonValueKind.String ? row[n].GetString() : row[n].GetRawText()));
}
