using WorkloadProfiles.ClickHouse.Tables;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>The explicit insert column types agree with the migrations, and rows written through them read back intact.</summary>
public sealed class TableMappingTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>
{
    public static TheoryData<string> TableNames => new(AllTables.Select(t => t.Name));

    private static readonly ClickHouseTable[] AllTables =
    [
        ProfilesTable.Table, ProfileNodesTable.Table, SnapshotsTable.Table, SnapshotNodesTable.Table,
        EnrichedSignalsTable.Table, SuppressionsTable.Table, ContainersTable.Table,
    ];

    [Theory]
    [MemberData(nameof(TableNames))]
    public async Task Insert_columns_match_the_migrated_table_exactly(string name)
    {
        var table = AllTables.Single(t => t.Name == name);

        var columns = await fixture.Database.QueryListAsync<ColumnRow>(
            $"SELECT name, type FROM system.columns WHERE database = {ClickHouseLiteral.String(fixture.Database.Name)} " +
            $"AND table = {ClickHouseLiteral.String(name)}");

        Assert.Equal(
            columns.Select(c => $"{c.Name} {c.Type}").Order(),
            table.Columns.Select(c => $"{c.Name} {c.Type}").Order());
    }

    [Fact]
    public async Task Replayed_rows_collapse_to_one_per_key_after_final()
    {
        using var database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_replay");
        await database.DropIfExistsAsync();
        try
        {
            await new Migrations.Migrator(database).MigrateAsync();
            for (var replay = 0; replay < 3; replay++) await SampleWarehouse.SeedAsync(database);

            Assert.Equal("4", await database.ScalarTextAsync("SELECT count() FROM profiles FINAL"));
            Assert.Equal("11", await database.ScalarTextAsync("SELECT count() FROM profile_nodes FINAL"));
            Assert.Equal("5", await database.ScalarTextAsync("SELECT count() FROM snapshots FINAL"));
            Assert.Equal("4", await database.ScalarTextAsync("SELECT count() FROM enriched_signals FINAL"));
            Assert.Equal("2", await database.ScalarTextAsync("SELECT count() FROM suppressions FINAL"));
            Assert.Equal("3", await database.ScalarTextAsync("SELECT count() FROM containers FINAL"));
            // The removal is the later version of the redis suppression, so it wins.
            Assert.Equal("1", await database.ScalarTextAsync("SELECT removed FROM suppressions FINAL WHERE image_name = 'redis'"));
        }
        finally
        {
            await database.DropIfExistsAsync();
        }
    }

    [Fact]
    public async Task Profile_rows_read_back_with_exact_values()
    {
        using var database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_values");
        await database.DropIfExistsAsync();
        try
        {
            await new Migrations.Migrator(database).MigrateAsync();
            await SampleWarehouse.SeedAsync(database);

            var profile = Assert.Single(await database.QueryListAsync<ProfileRow>(
                "SELECT image_name, image_tag, revision, status, stable_since_us, last_updated, last_updated_us, snapshot_ids " +
                "FROM profiles WHERE image_name = 'nginx' AND image_tag = '1.26' AND revision = 3"));
            var expected = SampleWarehouse.Nginx126;
            Assert.Equal((ulong)expected.Revision, profile.Revision);
            Assert.Equal("Stable", profile.Status);
            Assert.Equal(expected.StableSinceUs, profile.StableSinceUs);
            Assert.Equal(expected.LastUpdatedUs, profile.LastUpdatedUs);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(expected.LastUpdatedUs / 1000).UtcDateTime, profile.LastUpdated);
            Assert.Equal(expected.SnapshotIds, profile.SnapshotIds);

            var curl = Assert.Single(await database.QueryListAsync<NodeRow>(
                $"SELECT node_id, parent_id, depth, ancestry, access FROM profile_nodes FINAL WHERE node_id = {ClickHouseLiteral.Number(SampleWarehouse.ShellCurl)} AND image_tag = '1.26'"));
            Assert.Equal(SampleWarehouse.NginxShell, curl.ParentId);
            Assert.Equal(2, curl.Depth);
            Assert.Equal(["/usr/sbin/nginx", "/bin/sh -c *", "/usr/bin/curl"], curl.Ancestry);

            var signal = Assert.Single(await database.QueryListAsync<SignalRow>(
                "SELECT signal_id, node_id, node_commonality, has_suggestion FROM enriched_signals WHERE signal_id = 'sig-3'"));
            Assert.Null(signal.NodeId);
            Assert.Null(signal.NodeCommonality);
            Assert.Equal(0, signal.HasSuggestion);
        }
        finally
        {
            await database.DropIfExistsAsync();
        }
    }

    private sealed record ColumnRow(string Name, string Type);
    private sealed record ProfileRow(string ImageName, string ImageTag, ulong Revision, string Status, long? StableSinceUs,
        DateTime LastUpdated, long LastUpdatedUs, string[] SnapshotIds);
    private sealed record NodeRow(ulong NodeId, ulong ParentId, int Depth, string[] Ancestry, string Access);
    private sealed record SignalRow(string SignalId, ulong? NodeId, double? NodeCommonality, int HasSuggestion);
}
