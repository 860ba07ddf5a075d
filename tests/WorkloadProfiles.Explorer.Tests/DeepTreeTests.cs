using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// A container can make its own profile's process chain as deep as it likes (each exec nests under the last): the page's
/// API and the JSON export still answer, over the real ClickHouse, with the whole chain nested.
/// </summary>
public sealed class DeepTreeTests : IAsyncLifetime
{
    private const int Depth = 10_000;
    private const string Image = "deep-chain";
    private readonly ClickHouseDatabase _database = new(LocalClickHouse.ConnectionString, $"wp_deep_{Guid.NewGuid():N}"[..24]);
    private LocalKafkaBroker _broker = null!;
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        await LocalClickHouse.EnsureRunningAsync();
        await _database.DropIfExistsAsync();
        await new Migrator(_database).MigrateAsync();
        var profile = DeepProfile();
        await _database.InsertAsync(ProfilesTable.Table, [ProfilesTable.Row(profile)]);
        await _database.InsertAsync(ProfileNodesTable.Table, ProfileNodesTable.Rows(profile));
        _broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions());
        Uri address;
        (_app, address) = await ExplorerFixture.StartExplorerAsync(LocalClickHouse.ConnectionStringFor(_database.Name), _broker.BootstrapServers);
        _client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ExplorerFixture.Token);
    }

    [Fact]
    public async Task A_ten_thousand_level_process_chain_is_served_and_exported_whole()
    {
        foreach (var path in new[] { $"/api/profiles/{Image}/1.0", $"/api/profiles/{Image}/1.0/export.json" })
        {
            using var response = await _client.GetAsync(new Uri(path, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 500)]}");

            using var json = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 * Depth });
            var process = Assert.Single(json.RootElement.GetProperty("processes").EnumerateArray());
            var levels = 1;
            while (process.GetProperty("children").GetArrayLength() > 0)
            {
                Assert.Equal($"/opt/step {levels - 1}/run", process.GetProperty("executable").GetString());
                process = Assert.Single(process.GetProperty("children").EnumerateArray());
                levels++;
            }

            Assert.Equal(Depth, levels);
            Assert.Equal("/data/bottom.txt", Assert.Single(process.GetProperty("files").EnumerateArray()).GetProperty("key").GetString());
            Assert.Equal(0, json.RootElement.GetProperty("unattachedNodes").GetInt32());
        }
    }

    /// <summary>One container's snapshot of a chain of <see cref="Depth"/> processes, each exec'd by the previous one.</summary>
    private static SecurityProfile DeepProfile()
    {
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var nodes = new List<SnapshotNode>();
        var parent = NodeIdentity.Root;
        for (var level = 0; level < Depth; level++)
        {
            var key = $"/opt/step {level}/run";
            var id = NodeIdentity.Compute(parent, NodeKind.Process, key);
            nodes.Add(new SnapshotNode { Id = id, ParentId = parent, Kind = NodeKind.Process, Key = key, EventCount = 1, FirstSeenUs = at, LastSeenUs = at });
            parent = id;
        }

        nodes.Add(new SnapshotNode
        {
            Id = NodeIdentity.Compute(parent, NodeKind.File, "/data/bottom.txt"), ParentId = parent, Kind = NodeKind.File,
            Key = "/data/bottom.txt", EventCount = 1, FirstSeenUs = at, LastSeenUs = at, Access = FileAccessMode.Read,
        });
        var snapshot = new ActivitySnapshot
        {
            SnapshotId = ActivitySnapshot.MakeId("c-deep", at),
            Container = new ContainerRef("c-deep", Image, "1.0"),
            HostName = "host-a",
            WindowStartUs = at,
            WindowEndUs = at + 60_000_000,
            Nodes = [.. nodes.OrderBy(n => n.Id)],
        };
        var aggregate = new ProfileAggregate(new ProfileKey(Image, "1.0"), new ProfilePolicy { MaxBytes = 8 << 20 });
        Assert.Equal(MergeOutcome.Applied, aggregate.Merge(snapshot, at));
        return aggregate.ToProfile();
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _broker?.Dispose();
        try
        {
            await _database.DropIfExistsAsync();
        }
        finally
        {
            _database.Dispose();
        }
    }
}
