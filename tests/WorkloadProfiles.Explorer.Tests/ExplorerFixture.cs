using System.Diagnostics;
using System.Net.Http.Headers;
using ClickHouse.Driver.ADO;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// The explorer as it runs in production — on Kestrel, bound to a free loopback port — over a database of its own on
/// the real local ClickHouse (migrated and seeded with <see cref="Warehouse"/>) and an in-process Kafka broker.
/// Shared by the test classes of the "Explorer" collection; tests that change data use ids nobody else asserts on.
/// </summary>
public sealed class ExplorerFixture : IAsyncLifetime
{
    public const string Token = "test-token-2f1c9d07e4b6a8355d0e";

    public ClickHouseDatabase Database { get; } = new(LocalClickHouse.ConnectionString, $"wp_explorer_{Guid.NewGuid():N}"[..28]);

    public LocalKafkaBroker Broker { get; private set; } = null!;

    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await LocalClickHouse.EnsureRunningAsync();
        await Database.DropIfExistsAsync();
        await new Migrator(Database).MigrateAsync();
        await Warehouse.SeedAsync(Database);
        Broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions());
        (App, BaseAddress) = await StartExplorerAsync(LocalClickHouse.ConnectionStringFor(Database.Name), Broker.BootstrapServers);
    }

    /// <summary>Starts an explorer on a free loopback port (with the test token unless told otherwise); the caller stops it.</summary>
    public static async Task<(WebApplication App, Uri BaseAddress)> StartExplorerAsync(
        string clickHouse, string bootstrapServers, string? token = Token, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Explorer:Token"] = token,
            ["Explorer:Urls"] = "http://127.0.0.1:0",
            ["Explorer:PublishTimeoutMs"] = "15000",
            ["ClickHouse:ConnectionString"] = clickHouse,
            ["Kafka:BootstrapServers"] = bootstrapServers,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        var app = ExplorerApp.Create([], configuration => configuration.AddInMemoryCollection(values));
        await app.StartAsync();
        return (app, new Uri(app.Urls.Single()));
    }

    /// <summary>A client of the API; <paramref name="token"/> null sends no Authorization header.</summary>
    public HttpClient Client(string? token = Token, string? user = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (user is not null) client.DefaultRequestHeaders.Add("X-WP-User", user);
        return client;
    }

    /// <summary>Reads wp.suppressions from the beginning until a record matches, as the rules engine would see it.</summary>
    public Task<(string Key, Suppression Value)> ConsumeSuppressionAsync(Func<Suppression, bool> match, TimeSpan timeout) =>
        ConsumeSuppressionAsync(Broker.BootstrapServers, match, timeout);

    /// <summary>As <see cref="ConsumeSuppressionAsync(Func{Suppression, bool}, TimeSpan)"/>, on any broker.</summary>
    public static async Task<(string Key, Suppression Value)> ConsumeSuppressionAsync(string bootstrapServers, Func<Suppression, bool> match, TimeSpan timeout)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = LocalKafkaBrokerFixture.UniqueName("explorer-test"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        var codec = AvroCodecs.Default.For<Suppression>();
        using var consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        consumer.Subscribe(Topics.Suppressions);
        var deadline = Stopwatch.StartNew();
        try
        {
            while (deadline.Elapsed < timeout)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result?.Message is null) continue;
                var value = codec.Deserialize(result.Message.Value);
                if (match(value)) return (result.Message.Key, value);
            }
        }
        finally
        {
            consumer.Close();
        }
        throw new TimeoutException($"No matching suppression reached {Topics.Suppressions} within {timeout.TotalSeconds:0} s.");
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        Broker?.Dispose();
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
public sealed class ExplorerCollection : ICollectionFixture<ExplorerFixture>
{
    public const string Name = "Explorer";
}

/// <summary>The local ClickHouse (WP_ClickHouse__ConnectionString, default the project's local server), started by its script when it does not answer.</summary>
public static class LocalClickHouse
{
    private static readonly SemaphoreSlim StartLock = new(1, 1);

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("WP_ClickHouse__ConnectionString") is { Length: > 0 } configured
            ? configured
            : ClickHouseOptions.DefaultConnectionString;

    public static string ConnectionStringFor(string database) =>
        new ClickHouseConnectionStringBuilder(ConnectionString) { Database = database }.ConnectionString;

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException($"No WorkloadProfiles.sln above {AppContext.BaseDirectory}.");
        }
    }

    public static async Task EnsureRunningAsync()
    {
        await StartLock.WaitAsync();
        try
        {
            using var probe = new ClickHouseDatabase(ConnectionString, "default");
            if (await probe.PingAsync()) return;
            var script = Path.Combine(RepositoryRoot, "local", "clickhouse", "clickhouse.sh");
            var result = await ExternalCommand.RunAsync(script, ["start"], [], TimeSpan.FromMinutes(2));
            if (result.ExitCode != 0) throw new InvalidOperationException($"clickhouse.sh start exited with {result.ExitCode}:\n{result.Output}{result.Error}");
        }
        finally
        {
            StartLock.Release();
        }
    }
}
