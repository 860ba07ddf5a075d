using System.Text.Json;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Tests;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Sink.Tests;

/// <summary>The sink against the real local broker and the real local ClickHouse.</summary>
public sealed class SinkTests(LocalKafkaBrokerFixture broker) : IClassFixture<LocalKafkaBrokerFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Rows per table after FINAL for <see cref="SampleWarehouse"/>.</summary>
    private static readonly Dictionary<string, long> SampleCounts = new()
    {
        ["profiles"] = 4, ["profile_nodes"] = 11, ["snapshots"] = 5, ["snapshot_nodes"] = 14,
        ["enriched_signals"] = 4, ["suppressions"] = 2, ["containers"] = 3,
    };

    [Fact]
    public async Task Sink_consumes_every_topic_and_the_rows_appear()
    {
        await using var harness = await SinkHarness.CreateAsync(broker);
        var records = harness.ProduceSampleWarehouse();

        var sink = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("sink"));
        await Poll.UntilAsync(() => sink.Metrics.RecordsWritten >= records, Timeout, $"{records} records written");

        Assert.Equal(SampleCounts, await CountsAsync(harness));
        Assert.Equal(0, sink.Metrics.DeadLettered);
        Assert.Equal(records, sink.Metrics.RecordsConsumed);
    }

    [Fact]
    public async Task Ordinary_back_pressure_waits_for_the_write_without_pausing_the_consumer()
    {
        await using var harness = await SinkHarness.CreateAsync(broker);
        var containers = Enumerable.Range(0, 400)
            .Select(i => SampleWarehouse.Containers[0] with { Container = new ContainerRef($"bp-{i:D3}", "nginx", "1.26") })
            .ToList();
        foreach (var container in containers) harness.Produce(harness.Topics.Containers, container.Container.Id, container);
        harness.Flush();

        // Batches of 5 records: the next batch is full long before each insert returns, so the consumer is held back by
        // every write — and must neither pause (which costs fetch round trips before records flow again) nor lose a record.
        var sink = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("sink"), maxBatchRecords: 5);
        await Poll.UntilAsync(() => sink.Metrics.RecordsWritten >= containers.Count, Timeout, $"{containers.Count} records written");

        Assert.Equal(containers.Count, await harness.CountAsync("containers"));
        Assert.True(sink.Metrics.BatchesWritten >= containers.Count / 5, $"{sink.Metrics.BatchesWritten} batches");
        Assert.Equal(0, sink.Metrics.Pauses);
        Assert.Equal(containers.Count, sink.Metrics.RecordsConsumed);
    }

    [Fact]
    public async Task Replaying_the_same_records_leaves_counts_unchanged_after_final()
    {
        await using var harness = await SinkHarness.CreateAsync(broker);
        var records = harness.ProduceSampleWarehouse();
        var first = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("first"));
        await Poll.UntilAsync(() => first.Metrics.RecordsWritten >= records, Timeout, "first pass written");
        var rawRowsAfterFirst = await harness.CountAsync("profile_nodes", final: false);

        // A new consumer group starts from the earliest offset: a full replay of every record.
        var replay = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("replay"));
        await Poll.UntilAsync(() => replay.Metrics.RecordsWritten >= records, Timeout, "replay written");

        Assert.True(await harness.CountAsync("profile_nodes", final: false) > rawRowsAfterFirst, "the replay inserted its rows again");
        Assert.Equal(SampleCounts, await CountsAsync(harness));
    }

    [Fact]
    public async Task Queries_return_the_expected_rows_on_data_written_by_the_sink()
    {
        await using var harness = await SinkHarness.CreateAsync(broker);
        var records = harness.ProduceSampleWarehouse();
        var sink = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("sink"));
        await Poll.UntilAsync(() => sink.Metrics.RecordsWritten >= records, Timeout, "records written");

        var profiles = await RunQueryAsync(harness, "01_profiles_by_image.sql");
        var snapshots = await RunQueryAsync(harness, "05_profile_snapshots.sql", ("param_image", "nginx"), ("param_version", "1.26"));
        var diff = await RunQueryAsync(harness, "06_version_diff.sql", ("param_image", "nginx"), ("param_old_version", "1.26"), ("param_new_version", "1.27"));

        Assert.Equal(["nginx 1.26 Stable", "nginx 1.27 Learning", "redis 7.2 Stable"],
            profiles.Select(r => $"{r["image_name"]} {r["image_tag"]} {r["status"]}"));
        Assert.Equal(["c1:1000", "c2:2000", "c3:3000"], snapshots.Select(r => r["snapshot_id"].GetString()));
        Assert.Equal(["added", "removed", "removed", "removed"], diff.Select(r => r["change"].GetString()));
    }

    [Fact]
    public async Task Undecodable_record_goes_to_the_dead_letters_and_the_rest_is_written()
    {
        await using var harness = await SinkHarness.CreateAsync(broker);
        harness.ProduceRaw(harness.Topics.Snapshots, "nginx@1.26", [0xC3, 0x01, 1, 2, 3]);
        harness.ProduceRaw(harness.Topics.Containers, "c-tombstone", null);
        foreach (var container in SampleWarehouse.Containers) harness.Produce(harness.Topics.Containers, container.Container.Id, container);
        harness.Flush();

        var sink = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("sink"));
        await Poll.UntilAsync(() => sink.Metrics.RecordsWritten >= 5, Timeout, "records written");

        var letter = Assert.Single(await harness.ReadDeadLettersAsync(1, Timeout));
        Assert.Equal(harness.Topics.Snapshots, letter.SourceTopic);
        Assert.Equal("malformed-avro", letter.Reason);
        Assert.Equal([0xC3, 0x01, 1, 2, 3], letter.Value);
        Assert.Equal(1, sink.Metrics.Tombstones);
        Assert.Equal(3, await harness.CountAsync("containers"));
    }

    [Fact]
    public async Task Row_clickhouse_rejects_goes_to_the_dead_letters_and_the_other_rows_are_written()
    {
        await using var harness = await SinkHarness.CreateAsync(broker);
        // A guard column makes the server refuse one specific row, as a real constraint violation would.
        await harness.Database.ExecuteAsync("ALTER TABLE containers ADD COLUMN guard UInt8 MATERIALIZED throwIf(name = 'poison')");
        var poison = SampleWarehouse.Containers[0] with { Container = new ContainerRef("c-poison", "nginx", "1.26"), Name = "poison" };
        foreach (var container in SampleWarehouse.Containers.Append(poison)) harness.Produce(harness.Topics.Containers, container.Container.Id, container);
        harness.Flush();

        var sink = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("sink"));
        await Poll.UntilAsync(() => sink.Metrics.RecordsWritten >= 4, Timeout, "records written");

        var letter = Assert.Single(await harness.ReadDeadLettersAsync(1, Timeout));
        Assert.Equal("clickhouse-rejected", letter.Reason);
        Assert.Contains("throwIf", letter.Detail);
        Assert.Equal("c-poison", harness.Codecs.For<ContainerInfo>(harness.Topics.Containers).Deserialize(letter.Value).Container.Id);
        Assert.Equal(3, await harness.CountAsync("containers"));
        Assert.Equal(1, sink.Metrics.RowsRejected);
    }

    [Fact]
    public async Task A_record_over_the_broker_limit_and_one_with_an_unstorable_time_are_dead_lettered_within_the_bound()
    {
        await using var harness = await SinkHarness.CreateAsync(broker);
        // A hostile producer that raised its own limit: 2 MB of garbage, twice the size any of our producers may write.
        var garbage = System.Security.Cryptography.RandomNumberGenerator.GetBytes(2_000_000);
        // Not a framing byte: random garbage starting 0x00 (1 run in 256) reads as a Confluent header, unknown-schema.
        garbage[0] = 0xFF;
        using (var hostile = new Confluent.Kafka.ProducerBuilder<byte[], byte[]>(new Confluent.Kafka.ProducerConfig
               {
                   BootstrapServers = harness.Kafka.BootstrapServers,
                   MessageMaxBytes = 4_000_000,
               }).Build())
        {
            await hostile.ProduceAsync(harness.Topics.Snapshots, new Confluent.Kafka.Message<byte[], byte[]> { Key = [1], Value = garbage });
        }

        var year2200 = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;
        var future = SampleWarehouse.Containers[0] with { Container = new ContainerRef("c-future", "nginx", "1.26"), StartedAtUs = year2200 };
        foreach (var container in SampleWarehouse.Containers.Append(future)) harness.Produce(harness.Topics.Containers, container.Container.Id, container);
        harness.Flush();

        var sink = harness.StartSink(LocalKafkaBrokerFixture.UniqueName("sink"));
        await Poll.UntilAsync(() => sink.Metrics.RecordsWritten >= 5, Timeout, "records written");

        var letters = await harness.ReadDeadLettersAsync(2, Timeout);
        var oversized = letters.Single(l => l.SourceTopic == harness.Topics.Snapshots);
        Assert.Equal("malformed-avro", oversized.Reason);
        Assert.Equal(garbage.Length, oversized.ValueSize);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(garbage)), oversized.ValueSha256);
        Assert.Equal(garbage[..oversized.Value!.Length], oversized.Value);
        Assert.True(harness.Codecs.For<Domain.DeadLetter>(harness.Topics.DeadLetter).Serialize(oversized).Length <= Domain.DeadLetterBound.DefaultMaxBytes);
        var unstorable = letters.Single(l => l.SourceTopic == harness.Topics.Containers);
        Assert.Equal("invalid-value", unstorable.Reason);
        Assert.Contains("DateTime", unstorable.Detail, StringComparison.Ordinal);
        Assert.Equal(3, await harness.CountAsync("containers"));
    }

    internal static async Task<Dictionary<string, long>> CountsAsync(SinkHarness harness)
    {
        var counts = new Dictionary<string, long>();
        foreach (var table in SampleCounts.Keys) counts[table] = await harness.CountAsync(table);
        return counts;
    }

    private static async Task<IReadOnlyList<Dictionary<string, JsonElement>>> RunQueryAsync(SinkHarness harness, string file,
        params (string Name, string Value)[] parameters)
    {
        var sql = AnalystQuery.WithParameters(await File.ReadAllTextAsync(Path.Combine(LocalClickHouse.RepositoryRoot, "sql", "queries", file)), parameters);
        return await harness.Database.QueryListAsync<Dictionary<string, JsonElement>>(Assert.Single(SqlScript.Split(sql)));
    }
}
