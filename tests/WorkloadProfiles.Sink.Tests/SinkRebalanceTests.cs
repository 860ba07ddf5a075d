using WorkloadProfiles.ClickHouse.Tests;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Sink.Tests;

/// <summary>
/// The sink writes a batch while it reads the next; a rebalance can come at any point of that. Whatever the interleaving,
/// every record ends up in ClickHouse once (after FINAL): a write finished before the partitions go is committed, and
/// anything uncommitted is read again by the partitions' next owner.
/// </summary>
public sealed class SinkRebalanceTests(LocalKafkaBrokerFixture broker) : IClassFixture<LocalKafkaBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // The local broker completes a rebalance only once every old member has rejoined or timed out; keep that short.
    private static readonly Dictionary<string, string> ShortSessions = new() { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "1000" };

    [Fact]
    public async Task A_second_sink_joining_while_batches_are_written_loses_and_doubles_nothing()
    {
        await using var harness = await SinkHarness.CreateAsync(broker);
        var group = LocalKafkaBrokerFixture.UniqueName("rebalance");
        var first = harness.StartSink(group, maxBatchRecords: 20, ShortSessions);
        var containers = Enumerable.Range(0, 600).Select(i => SampleWarehouse.Containers[0] with
        {
            Container = new ContainerRef($"rebalance-{i}", "nginx", "1.26"),
            Name = $"rebalance-{i}",
        }).ToList();

        foreach (var c in containers.Take(300)) harness.Produce(harness.Topics.Containers, c.Container.Id, c);
        harness.Flush();
        await Poll.UntilAsync(() => first.Metrics.RecordsWritten > 0, Timeout, "the first sink writing");

        var second = harness.StartSink(group, maxBatchRecords: 20, ShortSessions);
        foreach (var c in containers.Skip(300)) harness.Produce(harness.Topics.Containers, c.Container.Id, c);
        harness.Flush();

        await Poll.UntilAsync(async () => await harness.CountAsync("containers") == containers.Count, Timeout, "every container in ClickHouse");
        await Poll.UntilAsync(() => first.Metrics.Lag == 0 && second.Metrics.Lag == 0, Timeout, "both sinks caught up");
        Assert.True(first.Metrics.RecordsWritten + second.Metrics.RecordsWritten >= containers.Count,
            $"records written: {first.Metrics} / {second.Metrics}");
        Assert.Equal(containers.Count, await harness.CountAsync("containers"));
        Assert.Equal(0, first.Metrics.DeadLettered + second.Metrics.DeadLettered);
    }
}
