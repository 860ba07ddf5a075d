using WorkloadProfiles.ClickHouse.Migrations;

namespace WorkloadProfiles.ClickHouse.Tests;

public sealed class MigratorTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly string[] ProjectTables =
    [
        "containers", "containers_latest", "enriched_signals", "enriched_signals_latest", "profile_nodes", "profile_nodes_latest",
        "profiles", "profiles_latest", "schema_migrations", "snapshot_nodes", "snapshots", "snapshots_latest", "suppressions",
        "suppressions_latest",
    ];

    [Fact]
    public async Task Migrations_apply_twice_without_error_and_create_the_tables()
    {
        var all = Migration.LoadEmbedded();
        var core = all.Where(m => !m.IsProductionOnly).Select(m => m.Version).ToList();

        using var database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_twice");
        await database.DropIfExistsAsync();
        try
        {
            var first = await new Migrator(database).MigrateAsync();
            var second = await new Migrator(database).MigrateAsync();

            Assert.Equal(core, first.Applied.Select(m => m.Version));
            Assert.Empty(second.Applied);
            Assert.Equal(core, second.AlreadyApplied.Select(m => m.Version));
            var tables = await database.QueryListAsync<NameRow>(
                $"SELECT name FROM system.tables WHERE database = {ClickHouseLiteral.String(database.Name)} ORDER BY name");
            Assert.Equal(ProjectTables, tables.Select(t => t.Name));
            var recorded = await database.QueryListAsync<VersionRow>("SELECT version FROM schema_migrations FINAL ORDER BY version");
            Assert.Equal(core, recorded.Select(r => r.Version));
        }
        finally
        {
            await database.DropIfExistsAsync();
        }
    }

    [Fact]
    public async Task Production_only_migration_is_skipped_on_an_old_server_and_not_recorded()
    {
        var report = await new Migrator(fixture.Database).MigrateAsync();

        var skipped = Assert.Single(report.SkippedForServerVersion);
        Assert.True(skipped.IsProductionOnly);
        Assert.True(report.ServerVersion < skipped.MinServerVersion!.Value);
        var recorded = await fixture.Database.ScalarTextAsync(
            $"SELECT count() FROM schema_migrations WHERE version = {ClickHouseLiteral.Number(skipped.Version)}");
        Assert.Equal("0", recorded);
    }

    [Fact]
    public async Task Production_only_migration_runs_when_the_server_is_new_enough()
    {
        using var database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_gate");
        await database.DropIfExistsAsync();
        try
        {
            var server = await database.GetServerVersionAsync();
            var createsTable = new Migration
            {
                Version = 900, Name = "gate_open", Sql = "CREATE TABLE IF NOT EXISTS gate_open (x UInt8) ENGINE = Memory",
                MinServerVersion = server,
            };
            var tooNew = new Migration
            {
                Version = 901, Name = "gate_closed", Sql = "CREATE TABLE IF NOT EXISTS gate_closed (x UInt8) ENGINE = Memory",
                MinServerVersion = server with { Major = server.Major + 1 },
            };

            var report = await new Migrator(database, [createsTable, tooNew]).MigrateAsync();

            Assert.Equal([900], report.Applied.Select(m => m.Version));
            Assert.Equal([901], report.SkippedForServerVersion.Select(m => m.Version));
            Assert.Equal("1", await database.ScalarTextAsync("EXISTS TABLE gate_open"));
            Assert.Equal("0", await database.ScalarTextAsync("EXISTS TABLE gate_closed"));
        }
        finally
        {
            await database.DropIfExistsAsync();
        }
    }

    [Fact]
    public async Task Editing_an_applied_migration_is_refused()
    {
        using var database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_edit");
        await database.DropIfExistsAsync();
        try
        {
            var original = new Migration { Version = 1, Name = "t", Sql = "CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = Memory" };
            await new Migrator(database, [original]).MigrateAsync();

            var edited = original with { Sql = "CREATE TABLE IF NOT EXISTS t (x UInt16) ENGINE = Memory" };
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new Migrator(database, [edited]).MigrateAsync());

            Assert.Contains("changed after it was applied", error.Message);
        }
        finally
        {
            await database.DropIfExistsAsync();
        }
    }

    [Fact]
    public async Task A_failing_statement_names_the_migration_and_is_not_recorded()
    {
        using var database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_fail");
        await database.DropIfExistsAsync();
        try
        {
            var broken = new Migration { Version = 7, Name = "broken", Sql = "CREATE TABLE IF NOT EXISTS b (x NoSuchType) ENGINE = Memory" };

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new Migrator(database, [broken]).MigrateAsync());

            Assert.Contains("007_broken", error.Message);
            Assert.Equal("0", await database.ScalarTextAsync("SELECT count() FROM schema_migrations"));
        }
        finally
        {
            await database.DropIfExistsAsync();
        }
    }

    [Fact]
    public async Task An_add_column_migration_interrupted_before_it_was_recorded_completes_on_the_next_run()
    {
        using var database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_alter");
        await database.DropIfExistsAsync();
        try
        {
            var table = new Migration { Version = 1, Name = "table", Sql = "CREATE TABLE IF NOT EXISTS t (x UInt8) ENGINE = MergeTree ORDER BY x" };
            var alter = new Migration { Version = 2, Name = "columns", Sql = "ALTER TABLE t ADD COLUMN y String DEFAULT '', ADD COLUMN z Int32 DEFAULT 0" };
            await new Migrator(database, [table]).MigrateAsync();
            await database.ExecuteAsync(alter.Sql); // applied, but the process died before recording it

            var report = await new Migrator(database, [table, alter]).MigrateAsync();

            Assert.Equal([2], report.Applied.Select(m => m.Version));
            Assert.Equal("2", await database.ScalarTextAsync("SELECT max(version) FROM schema_migrations"));
            // Any other failure of an ALTER still fails the run.
            var broken = new Migration { Version = 3, Name = "broken", Sql = "ALTER TABLE t ADD COLUMN w NoSuchType" };
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new Migrator(database, [table, alter, broken]).MigrateAsync());
            Assert.Contains("003_broken", error.Message);
        }
        finally
        {
            await database.DropIfExistsAsync();
        }
    }

    private sealed record NameRow(string Name);
    private sealed record VersionRow(int Version);
}

public sealed class MigrationCatalogTests
{
    [Fact]
    public void Embedded_migrations_are_ordered_and_include_the_production_only_one()
    {
        var migrations = Migration.LoadEmbedded();

        Assert.Equal(migrations.Select(m => m.Version).Order(), migrations.Select(m => m.Version));
        Assert.Contains(migrations, m => m is { Version: 1, Name: "profiles", IsProductionOnly: false });
        var production = Assert.Single(migrations, m => m.IsProductionOnly);
        Assert.True(production.MinServerVersion > new ServerVersion(18, 16, 1));
        Assert.Contains("TTL", production.Sql);
    }

    [Fact]
    public void Core_migrations_stay_portable_to_18_16()
    {
        string[] forbidden = ["TTL", "CODEC", "INDEX", "DateTime64", "Map(", "JSON", "Bool", "SimpleAggregateFunction"];
        foreach (var migration in Migration.LoadEmbedded().Where(m => !m.IsProductionOnly))
        {
            foreach (var statement in migration.Statements)
            {
                Assert.DoesNotContain(forbidden, word => statement.Contains(word, StringComparison.OrdinalIgnoreCase));
            }
        }
    }

    [Theory]
    [InlineData("1_x.sql")]
    [InlineData("001-x.sql")]
    [InlineData("001_x.txt")]
    public void Badly_named_file_is_rejected(string path)
    {
        Assert.Throws<FormatException>(() => Migration.Parse(path, "SELECT 1"));
    }

    [Fact]
    public void Production_migration_without_a_minimum_version_is_rejected()
    {
        var error = Assert.Throws<FormatException>(() => Migration.Parse("production/200_x.sql", "ALTER TABLE t MODIFY TTL d"));
        Assert.Contains("min-server-version", error.Message);
    }

    [Fact]
    public void Minimum_version_outside_the_production_folder_is_rejected()
    {
        Assert.Throws<FormatException>(() => Migration.Parse("200_x.sql", "-- min-server-version: 22.8\nSELECT 1"));
    }

    [Fact]
    public void Production_header_is_parsed()
    {
        var migration = Migration.Parse("production/200_x.sql", "-- min-server-version: 23.3.1\nALTER TABLE t MODIFY TTL d");

        Assert.Equal(new ServerVersion(23, 3, 1), migration.MinServerVersion);
        Assert.Equal(200, migration.Version);
    }
}
