using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>"Allow" on a drift signal: the signal's drift context, and a suppression scoped to the image, the drifted
/// node and the ancestry's signatures, published like an accepted suggestion. Its own warehouse and broker: the shared
/// fixture's signal lists stay as other tests expect them.</summary>
public sealed class DriftAllowTests : IAsyncLifetime
{
    private readonly ClickHouseDatabase _database = new(LocalClickHouse.ConnectionString, $"wp_drift_{Guid.NewGuid():N}"[..24]);
    private LocalKafkaBroker _broker = null!;
    private WebApplication _app = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        await LocalClickHouse.EnsureRunningAsync();
        await _database.DropIfExistsAsync();
        await new Migrator(_database).MigrateAsync();
        _broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions());
        (_app, _address) = await ExplorerFixture.StartExplorerAsync(LocalClickHouse.ConnectionStringFor(_database.Name), _broker.BootstrapServers);
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _broker.Dispose();
        await _database.DropIfExistsAsync();
        _database.Dispose();
    }

    private HttpClient Client(string? user = null)
    {
        var client = new HttpClient { BaseAddress = _address, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ExplorerFixture.Token);
        if (user is not null) client.DefaultRequestHeaders.Add("X-WP-User", user);
        return client;
    }

    private const string Image = "registry.example/drift-allow";
    private const string Tag = "3.1";

    /// <summary>A Stable profile of a shell entrypoint that resolves its upstream; a new container resolves a C2 name.</summary>
    private static (SecurityProfile Profile, EnrichedSignal Drift, EnrichedSignal Overflow) Scenario(string signalId)
    {
        var container = new ContainerRef("c-drift-1", Image, Tag);
        var aggregate = new ProfileAggregate(container.ProfileKey!.Value, ProfilePolicy.Default with { StableSnapshotCount = 2 });
        RawEvent[] normal =
        [
            new() { Kind = EventKind.Exec, TimestampUs = 1, Pid = 1, ExecutablePath = "/bin/sh", Args = ["sh", "/app/run.sh"], Comm = "sh" },
            new() { Kind = EventKind.Dns, TimestampUs = 2, Pid = 1, DnsQuestionName = "upstream.internal", Comm = "sh" },
        ];
        for (var i = 0; i < 2; i++)
        {
            var builder = new SnapshotBuilder(container with { Id = $"c-learn-{i}" }, "host-a", 0, 1_000);
            builder.AddRange(normal);
            aggregate.Merge(builder.Build(), 1_000 + i);
        }
        var profile = aggregate.ToProfile();
        var processes = new ProcessTable();
        processes.Apply(normal[0]);
        var c2 = new RawEvent { Kind = EventKind.Dns, TimestampUs = 5_000_000, Pid = 1, DnsQuestionName = "beacon.cdn-sync.com", Comm = "sh" };
        var finding = new DriftDetector().Inspect(c2, processes, DriftBaseline.From(profile), DriftKinds.Default)!;
        var behaviour = DriftSignals.BehaviourOf(finding, c2);
        var matcher = new SuggestionMatcher();
        var drift = matcher.Enrich(DriftSignals.Create(finding, behaviour, c2, container, "host-a") with { SignalId = signalId }, profile, c2.TimestampUs);
        var overflow = matcher.Enrich(DriftSignals.Overflow(finding, behaviour, c2, container, "host-a", 50) with { SignalId = signalId + "-cap" },
            profile, c2.TimestampUs);
        return (profile, drift, overflow);
    }

    [Fact]
    public async Task Allowing_a_drift_publishes_a_suppression_of_its_node_and_signatures_and_the_cap_notice_cannot_be_allowed()
    {
        var signalId = $"sig-drift-{Guid.NewGuid():N}"[..24];
        var (profile, drift, overflow) = Scenario(signalId);
        await _database.InsertAsync(ProfilesTable.Table, [ProfilesTable.Row(profile)]);
        await _database.InsertAsync(ProfileNodesTable.Table, ProfileNodesTable.Rows(profile));
        await _database.InsertAsync(EnrichedSignalsTable.Table, [EnrichedSignalsTable.Row(drift), EnrichedSignalsTable.Row(overflow)]);

        var detail = await GetJsonAsync($"/api/signals/{signalId}");
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("suggestion").ValueKind);
        var context = detail.GetProperty("drift");
        Assert.Equal("/bin/sh /app/run.sh", context.GetProperty("closestKnownKey").GetString());
        var signatures = NodeIdentity.SignaturesOf(drift.Signal.Behaviour.Ancestry);
        var node = drift.Profile!.NodeId!.Value;
        var expectedId = Suppression.MakeId(DriftRules.Dns, Image, node, signatures);
        Assert.Equal(expectedId, context.GetProperty("allowSuppressionId").GetString());

        using var client = Client(user: "erin.sre");
        var response = await client.PostAsJsonAsync("/api/suppressions", new { signalId });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var (_, record) = await ExplorerFixture.ConsumeSuppressionAsync(_broker.BootstrapServers, s => s.Id == expectedId && !s.Removed, TimeSpan.FromSeconds(30));
        Assert.Equal(DriftRules.Dns, record.RuleId);
        Assert.Equal(Image, record.ImageName);
        Assert.Equal(node, record.NodeId);
        Assert.Equal(signatures, record.Signatures);
        Assert.Equal(SuggestionMatcher.Expression(Image, node, signatures), record.Expression);
        Assert.Equal("erin.sre", record.CreatedBy);
        Assert.Equal(signalId, record.FromSignalId);
        Assert.True(record.CoversSignatures(signatures));

        Assert.Equal("erin.sre", (await GetJsonAsync($"/api/signals/{signalId}")).GetProperty("suppression").GetProperty("createdBy").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync("/api/suppressions", new { signalId = signalId + "-cap" })).StatusCode);
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var client = Client();
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
