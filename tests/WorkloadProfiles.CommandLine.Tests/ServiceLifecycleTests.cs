using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Hosting;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;

namespace WorkloadProfiles.CommandLine.Tests;

/// <summary>
/// The services running against real dependencies (the broker command, local ClickHouse): "ready" only once they are,
/// /healthz and /metrics from the one operations endpoint, a clean exit 0 on SIGTERM, exit 1 when they fail while
/// running, and librdkafka's retry noise collapsed when the broker goes away.
/// </summary>
public sealed class ServiceLifecycleTests(ITestOutputHelper output)
{
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Streams_says_ready_when_running_serves_health_and_metrics_collapses_broker_errors_and_stops_with_0()
    {
        var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(30));
        var port = LocalBrokerProcess.FreePort();
        await using var streams = Executable.Streams.Start(
            ["--Streams:Jobs", "detection", "--Streams:ApplicationId", $"wp-cli-{Guid.NewGuid():N}"[..20],
             "--Streams:StateDir", Directory.CreateTempSubdirectory("wp-cli-state-").FullName, "--Http:Port", Text(port)],
            new Dictionary<string, string>
            {
                ["WP_Kafka__BootstrapServers"] = broker.BootstrapServers,
                ["WP_Kafka__LocalBrokerControlPort"] = Text(broker.ControlPort),
            });
        try
        {
            await Poll.UntilAsync(() => streams.Output.Any(l => l.StartsWith("wp-streams ready", StringComparison.Ordinal)) || streams.HasExited,
                Deadline, "wp-streams ready");
            Assert.False(streams.HasExited, streams.Transcript);
            Assert.Contains(streams.Output, l => l == $"wp-streams ready jobs=Detection health=http://127.0.0.1:{port}/healthz");

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            using (var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                Assert.Equal("RUNNING", (await health.Content.ReadAsStringAsync()).Trim());
            }

            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Contains("wp_streams_late_events_total", metrics, StringComparison.Ordinal);
            Assert.Contains("process_cpu_seconds_total", metrics, StringComparison.Ordinal);

            // The broker dies: every client retries every few hundred milliseconds, and each attempt is a librdkafka error.
            var before = streams.Output.Count + streams.Error.Count;
            await broker.DisposeAsync();
            await Poll.UntilAsync(() => Lines(streams).Any(l => l.Contains("more like this in the last 10 s", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60), "a collapsed count of repeated broker errors");
            var refused = Lines(streams).Skip(before).Count(l => l.Contains("Connection refused", StringComparison.Ordinal));
            output.WriteLine($"{refused} 'Connection refused' lines written after the broker died");
            Assert.InRange(refused, 1, 40); // uncollapsed: ~25 a second

            Assert.Equal(ExitCodes.Ok, await streams.SignalAsync(CommandProcess.SigTerm, TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await broker.DisposeAsync();
            output.WriteLine(streams.Transcript);
        }
    }

    [Fact]
    public async Task Streams_that_fail_before_they_are_ready_exit_1_and_never_say_ready()
    {
        // A broker that cannot create topics (no control port given): Streamiz' internal topics fail, the stream errors.
        await using var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(30));
        var result = await Executable.Streams.RunAsync(
            ["--Streams:Jobs", "snapshots", "--Streams:ApplicationId", $"wp-cli-{Guid.NewGuid():N}"[..20],
             "--Streams:StateDir", Directory.CreateTempSubdirectory("wp-cli-state-").FullName, "--Http:Port", Text(LocalBrokerProcess.FreePort())],
            new Dictionary<string, string> { ["WP_Kafka__BootstrapServers"] = broker.BootstrapServers }, Deadline);

        output.WriteLine(result.Output + result.Error);
        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.DoesNotContain("wp-streams ready", result.Output, StringComparison.Ordinal);
        Assert.Contains("wp-streams: the stream failed before it was ready (state ERROR)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_with_an_unwritable_state_directory_exits_3()
    {
        await using var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(30));
        var file = Path.GetTempFileName(); // a file where the directory should be: not creatable, whoever runs the test
        var result = await Executable.Streams.RunAsync(["--Streams:StateDir", Path.Combine(file, "state")],
            new Dictionary<string, string> { ["WP_Kafka__BootstrapServers"] = broker.BootstrapServers });

        Assert.Equal(ExitCodes.Prerequisite, result.ExitCode);
        Assert.StartsWith($"wp-streams: the state directory {Path.Combine(file, "state")} is not writable", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sink_says_ready_after_migrating_serves_health_and_metrics_and_stops_with_0()
    {
        await using var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(30));
        await using var database = await ScratchDatabase.CreateAsync(migrate: false);
        var port = LocalBrokerProcess.FreePort();
        await using var sink = Executable.Sink.Start(["run", "--Sink:MetricsPort", Text(port), "--Sink:GroupId", $"wp-cli-{Guid.NewGuid():N}"[..20]],
            new Dictionary<string, string>
            {
                ["WP_Kafka__BootstrapServers"] = broker.BootstrapServers,
                ["WP_ClickHouse__ConnectionString"] = database.ConnectionString,
            });

        await Poll.UntilAsync(() => sink.Output.Any(l => l.StartsWith("wp-sink ready", StringComparison.Ordinal)) || sink.HasExited, Deadline, "wp-sink ready");
        Assert.False(sink.HasExited, sink.Transcript);
        Assert.Empty(await new Migrator(database.Database).PendingAsync()); // ready means migrated

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using (var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("consuming", (await health.Content.ReadAsStringAsync()).Trim());
        }

        Assert.Contains("wp_sink_records_total", await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, await sink.SignalAsync(CommandProcess.SigTerm, TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Sink_that_fails_while_running_exits_1()
    {
        await using var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(30));
        await using var database = await ScratchDatabase.CreateAsync(migrate: true);
        // Someone edited an applied migration: the sink must refuse to go on, not retry forever.
        await database.Database.ExecuteAsync("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (1, 'profiles', 'edited', now() + 60)");

        var result = await Executable.Sink.RunAsync(["run", "--Sink:MetricsPort", "0"], new Dictionary<string, string>
        {
            ["WP_Kafka__BootstrapServers"] = broker.BootstrapServers,
            ["WP_ClickHouse__ConnectionString"] = database.ConnectionString,
        }, Deadline);

        Assert.Equal(ExitCodes.Failed, result.ExitCode);
        Assert.Contains("was changed after it was applied", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("wp-sink ready", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Local_honours_the_documented_keys_its_sink_serves_metrics_and_no_profile_in_time_exits_1()
    {
        await using var database = await ScratchDatabase.CreateAsync(migrate: false);
        var (streamsPort, explorerPort, sinkPort) = (LocalBrokerProcess.FreePort(), LocalBrokerProcess.FreePort(), LocalBrokerProcess.FreePort());
        const string token = "cli-test-token-0123456789";
        await using var local = Executable.Local.Start(["--replay", "--once", "--time-scale", "1"], new Dictionary<string, string>
        {
            ["WP_Http__Port"] = Text(streamsPort),
            ["WP_Explorer__Urls"] = $"http://127.0.0.1:{explorerPort}",
            ["WP_Explorer__Token"] = token,
            ["WP_Sink__MetricsPort"] = Text(sinkPort),
            ["WP_ClickHouse__ConnectionString"] = database.ConnectionString,
            ["WP_Local__BrokerPort"] = Text(LocalBrokerProcess.FreePort()),
            ["WP_Local__BrokerControlPort"] = Text(LocalBrokerProcess.FreePort()),
            ["WP_Local__WorkDirectory"] = Directory.CreateTempSubdirectory("wp-cli-local-").FullName,
            // 30-minute windows (time scale 1): no profile can form within the summary timeout.
            ["WP_Local__SummaryTimeout"] = "00:00:40",
            ["WP_Streams__ApplicationId"] = $"wp-cli-{Guid.NewGuid():N}"[..20],
            ["WP_Sink__GroupId"] = $"wp-cli-{Guid.NewGuid():N}"[..20],
        });

        await Poll.UntilAsync(() => local.Output.Any(l => l.Contains($"#token={token}", StringComparison.Ordinal)) || local.HasExited,
            Deadline, "wp-local to print the explorer address with the configured token");
        Assert.False(local.HasExited, local.Transcript);
        Assert.Contains(local.Output, l => l.Contains($"http://127.0.0.1:{explorerPort}/#token={token}", StringComparison.Ordinal));

        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{streamsPort}/healthz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{explorerPort}/healthz"))).StatusCode);
        using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{explorerPort}/api/images")))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
        }

        var sinkMetrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{sinkPort}/metrics"));
        Assert.Contains("wp_sink_records_total", sinkMetrics, StringComparison.Ordinal);

        await Poll.UntilAsync(() => local.HasExited, TimeSpan.FromSeconds(120), "wp-local to give up waiting for a profile");
        output.WriteLine(local.Transcript);
        Assert.Equal(ExitCodes.Failed, local.ExitCode);
        Assert.Contains(local.Output, l => l.Contains("no profile formed within", StringComparison.Ordinal));
    }

    static IEnumerable<string> Lines(CommandProcess process) => process.Output.Concat(process.Error);
}

/// <summary>A database of its own on the local ClickHouse, dropped afterwards.</summary>
internal sealed class ScratchDatabase : IAsyncDisposable
{
    ScratchDatabase(ClickHouseDatabase database, string connectionString)
    {
        Database = database;
        ConnectionString = connectionString;
    }

    public ClickHouseDatabase Database { get; }

    public string ConnectionString { get; }

    public static async Task<ScratchDatabase> CreateAsync(bool migrate)
    {
        var name = $"wp_cli_{Guid.NewGuid():N}"[..20];
        var server = Environment.GetEnvironmentVariable("WP_ClickHouse__ConnectionString") is { Length: > 0 } configured ? configured : ClickHouseOptions.DefaultConnectionString;
        var connection = new global::ClickHouse.Driver.ADO.ClickHouseConnectionStringBuilder(server) { Database = name }.ConnectionString;
        var database = new ClickHouseDatabase(connection);
        if (await database.ProbeAsync(TimeSpan.FromSeconds(5)) is { } down)
        {
            var start = await ExternalCommand.RunAsync(Path.Combine(Executable.RepositoryRoot, "local", "clickhouse", "clickhouse.sh"), ["start"], [], TimeSpan.FromMinutes(2));
            Assert.True(start.ExitCode == 0, $"local ClickHouse is down ({down}) and did not start: {start.Output}{start.Error}");
        }

        await database.DropIfExistsAsync();
        if (migrate) await new Migrator(database).MigrateAsync();
        return new ScratchDatabase(database, connection);
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DropIfExistsAsync();
        Database.Dispose();
    }
}
