using System.Diagnostics;
using WorkloadProfiles.ClickHouse.Tests;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Sink.Tests;

/// <summary>
/// ClickHouse stopped for 30 s in the middle of a stream. The test runs a private ClickHouse (own ports and data folder,
/// started and stopped with local/clickhouse/clickhouse.sh) so that stopping it does not disturb other tests.
/// </summary>
public sealed class ClickHouseOutageTests(LocalKafkaBrokerFixture broker) : IClassFixture<LocalKafkaBrokerFixture>, IAsyncLifetime
{
    private const string HttpPort = "18223", TcpPort = "19100", InterserverPort = "19109";
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(30);
    private const int MaxBatchRecords = 50;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static string ConnectionString =>
        $"Host=127.0.0.1;Port={HttpPort};Protocol=http;Username=default;Password=;Compression=true;Timeout=10;JsonReadMode=None;JsonWriteMode=None";

    public Task InitializeAsync() => ScriptAsync("start");

    public Task DisposeAsync() => ScriptAsync("stop");

    [Fact]
    public async Task Nothing_is_lost_when_clickhouse_is_down_for_30_seconds_mid_stream()
    {
        await using var harness = await SinkHarness.CreateAsync(broker, ConnectionString);
        var sink = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("outage"), maxBatchRecords: MaxBatchRecords);
        var before = Containers("before", 200);
        foreach (var c in before) harness.Produce(harness.Topics.Containers, c.Container.Id, c);
        harness.Flush();
        await Poll.UntilAsync(() => sink.Metrics.RecordsWritten >= before.Count, Timeout, "records before the outage written");

        await ScriptAsync("stop");
        var outage = Stopwatch.StartNew();
        var during = Containers("during", 300);
        foreach (var c in during) harness.Produce(harness.Topics.Containers, c.Container.Id, c);
        harness.Flush();
        // The outage lasts 30 s; meanwhile the sink must be retrying and its lag must cover what it could not write.
        await Poll.UntilAsync(
            () => outage.Elapsed >= Outage && sink.Metrics.InsertFailures >= 3 && sink.Metrics.Lag >= during.Count,
            Outage + Timeout, "a 30 s outage with the sink retrying and lag growing");
        Assert.Equal(before.Count, sink.Metrics.RecordsWritten);
        // Bounded pipelining: while one batch is being retried the next is read up to its bound, and no further.
        Assert.InRange(sink.Metrics.RecordsConsumed - before.Count, MaxBatchRecords + 1, 2 * MaxBatchRecords);
        // A write that outlasts the back-pressure wait pauses fetching; the consumer keeps polling to stay in its group.
        Assert.True(sink.Metrics.Pauses >= 1, $"paused {sink.Metrics.Pauses} times during a 30 s outage");

        await ScriptAsync("start");
        await Poll.UntilAsync(() => sink.Metrics.RecordsWritten >= before.Count + during.Count, Timeout, "every record written after the restart");

        Assert.Equal(before.Count + during.Count, await harness.CountAsync("containers"));
        Assert.Equal(0, sink.Metrics.DeadLettered);
        Assert.Equal(0, sink.Metrics.RowsRejected);
        await Poll.UntilAsync(() => sink.Metrics.Lag == 0, Timeout, "lag back to zero");
    }

    private static List<ContainerInfo> Containers(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => SampleWarehouse.Containers[0] with
        {
            Container = new ContainerRef($"{prefix}-{i}", "nginx", "1.26"),
            Name = $"{prefix}-{i}",
        }).ToList();

    private static async Task ScriptAsync(string verb)
    {
        var start = new ProcessStartInfo(LocalClickHouse.Script, verb) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["WP_CLICKHOUSE_HTTP_PORT"] = HttpPort;
        start.Environment["WP_CLICKHOUSE_TCP_PORT"] = TcpPort;
        start.Environment["WP_CLICKHOUSE_INTERSERVER_PORT"] = InterserverPort;
        start.Environment["WP_CLICKHOUSE_HOME"] = Path.Combine(LocalClickHouse.RepositoryRoot, ".local", "clickhouse-outage-test");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"clickhouse.sh {verb} failed: {await output}{await error}");
    }
}
