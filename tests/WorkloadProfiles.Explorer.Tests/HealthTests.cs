using System.Net;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// <c>/healthz</c> says whether the explorer can serve: ClickHouse answers and every migration is applied (compose waits
/// on it); <c>/healthz</c> and <c>/metrics</c> need no token, like every service's.
/// </summary>
[Collection(ExplorerCollection.Name)]
public sealed class HealthTests(ExplorerFixture fixture)
{
    [Fact]
    public async Task Healthz_is_503_until_the_database_is_migrated_then_200()
    {
        var database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, $"wp_health_{Guid.NewGuid():N}"[..24]);
        var (app, address) = await ExplorerFixture.StartExplorerAsync(LocalClickHouse.ConnectionStringFor(database.Name), fixture.Broker.BootstrapServers);
        try
        {
            using var http = new HttpClient { BaseAddress = address };
            using (var before = await http.GetAsync(new Uri("/healthz", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
                Assert.Contains("not migrated", await before.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            await new Migrator(database).MigrateAsync();
            // Answers are cached two seconds, so probes cannot load the database.
            await Poll.UntilAsync(async () => (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(20), "/healthz to report the migrated database");
            Assert.Equal("ok", (await http.GetStringAsync(new Uri("/healthz", UriKind.Relative))).Trim());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            await database.DropIfExistsAsync();
            database.Dispose();
        }
    }

    [Fact]
    public async Task Healthz_and_metrics_need_no_token_while_the_api_does()
    {
        using var http = new HttpClient { BaseAddress = fixture.BaseAddress };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("process_cpu_seconds_total", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("/api/images", UriKind.Relative))).StatusCode);
    }
}
