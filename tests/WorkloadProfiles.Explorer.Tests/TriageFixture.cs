using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// An explorer over <see cref="TriageWarehouse"/> (a database of its own), configured with the seed's Stable rule
/// (<see cref="TriageWarehouse.StableSnapshotCount"/> snapshots), for the signals view and the profile page's charts.
/// </summary>
public sealed class TriageFixture : IAsyncLifetime
{
    public ClickHouseDatabase Database { get; } = new(LocalClickHouse.ConnectionString, $"wp_triage_{Guid.NewGuid():N}"[..27]);

    /// <summary>When the seed ran: the "recent" group sits two hours before it.</summary>
    public DateTimeOffset SeededAt { get; } = DateTimeOffset.UtcNow;

    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    private LocalKafkaBroker broker = null!;

    public async Task InitializeAsync()
    {
        await LocalClickHouse.EnsureRunningAsync();
        await Database.DropIfExistsAsync();
        await new Migrator(Database).MigrateAsync();
        await TriageWarehouse.SeedAsync(Database, SeededAt);
        broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions());
        (App, BaseAddress) = await ExplorerFixture.StartExplorerAsync(
            LocalClickHouse.ConnectionStringFor(Database.Name), broker.BootstrapServers,
            settings: new Dictionary<string, string?> { ["Profiles:StableSnapshotCount"] = TriageWarehouse.StableSnapshotCount.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    public HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ExplorerFixture.Token);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        broker?.Dispose();
        try
        {
            await Database.DropIfExistsAsync();
        }
        finally
        {
            Database.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TriageCollection : ICollectionFixture<TriageFixture>
{
    public const string Name = "Triage";
}
