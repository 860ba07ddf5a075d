using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Explorer.Data;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// The namespace filter of the signals view appears by itself once the warehouse records namespaces: a database migrated
/// up to 005 has no orchestrator_namespace column and offers none; migration 007 adds it (and the migrator re-creates the
/// enriched_signals_latest view with it), and then namespaces are offered and filter.
/// </summary>
public sealed class NamespaceFilterTests : IAsyncLifetime
{
    private readonly ClickHouseDatabase database = new(LocalClickHouse.ConnectionString, $"wp_ns_{Guid.NewGuid():N}"[..24]);

    public async Task InitializeAsync()
    {
        await LocalClickHouse.EnsureRunningAsync();
        await new Migrator(database, [.. Migration.LoadEmbedded().Where(m => m.Version < 6)]).MigrateAsync();
    }

    [Fact]
    public async Task Namespaces_are_offered_and_filter_only_when_the_column_exists()
    {
        var reader = new SignalGroupReader(database, TimeProvider.System);
        Assert.False((await reader.GroupsAsync(new SignalScope(), SignalGroupSort.LastSeen, 1, 10, default)).HasNamespace);

        var report = await new Migrator(database).MigrateAsync();
        Assert.Contains(report.Applied, m => m.Name == "kubernetes");
        await database.ExecuteAsync(
            $"""
            INSERT INTO enriched_signals (signal_id, rule_id, image_name, image_tag, timestamp, timestamp_us, severity, {SignalColumns.Namespace}, enriched_at_us)
            VALUES ('s1', 'r', 'web', '1', toDateTime(1700000000, 'UTC'), 1700000000000000, 'High', 'payments', 1),
                   ('s2', 'r', 'web', '1', toDateTime(1700000060, 'UTC'), 1700000060000000, 'High', 'payments', 1),
                   ('s3', 'r', 'web', '1', toDateTime(1700000120, 'UTC'), 1700000120000000, 'High', 'shop', 1)
            """);
        reader = new SignalGroupReader(database, TimeProvider.System); // a new reader: the schema probe is cached a minute

        var all = await reader.GroupsAsync(new SignalScope(), SignalGroupSort.LastSeen, 1, 10, default);
        Assert.True(all.HasNamespace);
        Assert.Equal(["payments", "shop"], Assert.Single(all.Groups).Namespaces.Order(StringComparer.Ordinal));
        var facets = await reader.FacetsAsync(new SignalScope(), default);
        Assert.Equal([("payments", 2UL), ("shop", 1UL)], facets.Namespaces.Select(n => (n.FacetValue, n.Total)));
        var payments = await reader.GroupsAsync(new SignalScope { Namespace = "payments" }, SignalGroupSort.LastSeen, 1, 10, default);
        Assert.Equal(2UL, payments.TotalSignals);
    }

    public async Task DisposeAsync()
    {
        await database.DropIfExistsAsync();
        database.Dispose();
    }
}
