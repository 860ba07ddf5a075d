using System.Text.Json;
using WorkloadProfiles.ClickHouse.Migrations;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>The <c>*_latest</c> views over <see cref="SampleWarehouse"/>: one row per key, node ids in hex.</summary>
public sealed class LatestViewTests(SampleWarehouseFixture fixture) : IClassFixture<SampleWarehouseFixture>
{
    private Task<IReadOnlyList<Dictionary<string, JsonElement>>> Rows(string sql) =>
        fixture.Database.QueryListAsync<Dictionary<string, JsonElement>>(sql);

    [Fact]
    public async Task Profiles_latest_has_one_row_per_profile_at_its_latest_revision()
    {
        var rows = await Rows("SELECT image_name, image_tag, revision, status FROM profiles_latest ORDER BY image_name, image_tag");

        // nginx 1.26 has revisions 2 and 3 in the table; the view shows revision 3 only.
        Assert.Equal(["nginx 1.26 3 Stable", "nginx 1.27 1 Learning", "redis 7.2 5 Stable"],
            rows.Select(r => $"{r["image_name"].GetString()} {r["image_tag"].GetString()} {r["revision"]} {r["status"].GetString()}"));
    }

    [Fact]
    public async Task Node_ids_are_16_lower_case_hex_digits_everywhere()
    {
        var nodes = await Rows("SELECT node_id, parent_id FROM profile_nodes_latest WHERE image_name = 'nginx' AND image_tag = '1.26' AND key = '/usr/bin/curl'");
        Assert.Equal("0000000000001005", Assert.Single(nodes)["node_id"].GetString());
        Assert.Equal("0000000000001004", nodes[0]["parent_id"].GetString());

        var signals = await Rows("SELECT signal_id, node_id, suggestion_node_id FROM enriched_signals_latest ORDER BY signal_id");
        Assert.Equal(["sig-1", "sig-2", "sig-3", "sig-4"], signals.Select(s => s["signal_id"].GetString()));
        Assert.Equal("0000000000001002", signals[0]["node_id"].GetString());
        Assert.Equal("0000000000001002", signals[0]["suggestion_node_id"].GetString());
        Assert.Equal(JsonValueKind.Null, signals[2]["node_id"].ValueKind); // enriched without a node

        var suppressions = await Rows("SELECT node_id, removed FROM suppressions_latest WHERE image_name = 'redis'");
        Assert.Equal("0000000000003002", Assert.Single(suppressions)["node_id"].GetString());
        Assert.Equal("1", suppressions[0]["removed"].ToString()); // the removal is the latest change
    }

    [Fact]
    public void The_hex_form_matches_the_explorer_and_the_suppression_expressions()
    {
        Assert.Equal("fedcba9876543210", Domain.Identity.NodeIdentity.Format(0xFEDC_BA98_7654_3210));
        Assert.Contains("substring(concat('0000000000000000', lower(hex(", LatestViews.HexTemplate, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_high_bit_node_id_keeps_all_16_digits()
    {
        var hex = await fixture.Database.ScalarTextAsync(
            $"SELECT {string.Format(System.Globalization.CultureInfo.InvariantCulture, LatestViews.HexTemplate, "toUInt64(18364758544493064720)")}");
        Assert.Equal("fedcba9876543210", hex.Trim());
        var small = await fixture.Database.ScalarTextAsync($"SELECT {string.Format(System.Globalization.CultureInfo.InvariantCulture, LatestViews.HexTemplate, "toUInt64(1)")}");
        Assert.Equal("0000000000000001", small.Trim());
    }

    [Fact]
    public async Task Containers_latest_has_one_row_per_container()
    {
        var rows = await Rows("SELECT container_id, count() AS rows FROM containers_latest GROUP BY container_id ORDER BY container_id");
        Assert.Equal(["c1", "c2", "c4"], rows.Select(r => r["container_id"].GetString()));
        Assert.All(rows, r => Assert.Equal("1", r["rows"].ToString().Trim('"')));
    }
}

/// <summary>Views follow their tables: a column a migration adds shows up in the view on the next migration run.</summary>
public sealed class LatestViewRefreshTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_column_added_to_a_table_appears_in_its_view_after_the_next_migration_run()
    {
        var first = await new Migrator(fixture.Database).MigrateAsync();
        Assert.Equal(LatestViews.All.Select(v => v.Name).Order(), first.ViewsRefreshed.Order());

        await fixture.Database.ExecuteAsync("ALTER TABLE enriched_signals ADD COLUMN added_by_a_later_migration String DEFAULT ''");
        var second = await new Migrator(fixture.Database).MigrateAsync();

        Assert.Equal(["enriched_signals_latest"], second.ViewsRefreshed);
        Assert.Equal("0", (await fixture.Database.ScalarTextAsync("SELECT count() FROM enriched_signals_latest WHERE added_by_a_later_migration != ''")).Trim());
        Assert.Empty((await new Migrator(fixture.Database).MigrateAsync()).ViewsRefreshed);
    }
}
