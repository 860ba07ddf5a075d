using System.Globalization;
using System.Text;
using System.Text.Json;
using ClickHouse.Driver.ADO;
using Confluent.Kafka;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Tests;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;

namespace WorkloadProfiles.Hostile.Tests;

/// <summary>What one run of the suite left behind: dead letters, the warehouse, and how the processes fared.</summary>
internal sealed record SuiteOutcome(
    IReadOnlyList<DeadLetter> DeadLetters,
    IReadOnlyDictionary<string, (ulong Events, ulong Nodes, bool Truncated, ulong Dropped)> Snapshots,
    IReadOnlyDictionary<string, (ulong Snapshots, ulong Nodes)> Profiles,
    IReadOnlySet<string> Signals,
    IReadOnlySet<string> Suppressions,
    IReadOnlySet<string> Containers,
    IReadOnlyDictionary<string, long> TableCounts,
    IReadOnlyDictionary<string, long> PeakRss,
    IReadOnlyDictionary<string, int> Kills,
    IReadOnlyDictionary<string, int> StopExitCodes,
    TimeSpan Duration)
{
    /// <summary>Every profile node row as "image@version kind key", with the revision that last wrote it.</summary>
    public IReadOnlyDictionary<string, ulong> ProfileNodes { get; init; } = new Dictionary<string, ulong>();

    /// <summary>
    /// Dead letters as a set of (consumer, which record of the workload, reason): offsets differ between runs on topics the
    /// pipeline writes too, and a restarted consumer may dead-letter a redelivered record twice.
    /// </summary>
    public IReadOnlySet<string> DeadLetterSet { get; init; } = new HashSet<string>();
}

/// <summary>One run of the suite: start the processes, send the workload (killing each member once when asked), read the results.</summary>
internal static class SuiteRun
{
    static readonly TimeSpan CatchUpTimeout = TimeSpan.FromMinutes(4);

    public static async Task<SuiteOutcome> RunAsync(Workload workload, bool killEachMember, ITestOutputHelper output)
    {
        var started = DateTime.UtcNow;
        var run = $"hostile-{(killEachMember ? "killed" : "steady")}-{Guid.NewGuid():N}"[..28];
        await using var pipeline = await PipelineProcesses.StartAsync(run);
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = pipeline.BootstrapServers,
            // A hostile producer: allowed what ours never are (records over the broker and codec limits).
            MessageMaxBytes = 4_000_000,
            LingerMs = 2,
            EnableIdempotence = true,
        }).Build();

        var records = workload.Records;
        var interleavedFrom = records.Count(r => r.Fate == Fate.Accepted && r.Topic == Topics.EventsRaw) + 1;
        var kills = new Queue<(int At, string Member)>();
        if (killEachMember)
        {
            // One kill per member, spread over the interleaved valid and hostile traffic.
            var members = PipelineProcesses.Jobs.Append(PipelineProcesses.Sink).ToArray();
            for (var k = 0; k < members.Length; k++)
            {
                kills.Enqueue((interleavedFrom + (records.Count - interleavedFrom) * (k + 1) / (members.Length + 1), members[k]));
            }
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = pipeline.BootstrapServers }).Build();
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            if (record.Paced)
            {
                // The local broker keeps ~5 MiB per partition: the storm goes only as fast as both raw consumers read it.
                producer.Flush(TimeSpan.FromSeconds(30));
                await Poll.UntilAsync(() => pipeline.UnexpectedExits().Count > 0 ||
                        (pipeline.Lag(admin, pipeline.GroupOf("snapshots"), [Topics.EventsRaw]) <= 2 && pipeline.Lag(admin, pipeline.GroupOf("detection"), [Topics.EventsRaw]) <= 2),
                    CatchUpTimeout, "the raw consumers to keep up with the path storm");
                pipeline.SampleRss();
            }

            if (i == interleavedFrom)
            {
                // The stress loads' windows are closed before the rest begins, so no kill falls into them.
                producer.Flush(TimeSpan.FromSeconds(30));
                await pipeline.WaitUntilCaughtUpAsync(CatchUpTimeout, () => "after the stress loads");
                output.WriteLine($"stress loads processed after {(DateTime.UtcNow - started).TotalSeconds:F0} s");
            }

            if (kills.TryPeek(out var kill) && kill.At == i)
            {
                kills.Dequeue();
                producer.Flush(TimeSpan.FromSeconds(30));
                await pipeline.KillAndRestartAsync(kill.Member);
                output.WriteLine($"SIGKILL {kill.Member} at record {i} of {records.Count}, restarted");
            }

            var message = new Message<byte[]?, byte[]?> { Key = record.Key, Value = record.Value };
            if (record.TimestampMs is { } timestamp) message.Timestamp = new Timestamp(timestamp, TimestampType.CreateTime);
            producer.Produce(record.Topic, message, report =>
            {
                Assert.False(report.Error.IsError, $"{record.Kind} to {record.Topic}: {report.Error.Reason}");
                (record.Partition, record.Offset) = (report.Partition.Value, report.Offset.Value);
            });
            if (i % 200 == 0)
            {
                pipeline.SampleRss();
                if (pipeline.UnexpectedExits() is { Count: > 0 } ended) Assert.Fail(string.Join("\n", ended));
            }
        }

        producer.Flush(TimeSpan.FromSeconds(60));
        Assert.All(records, r => Assert.True(r.Offset >= 0, $"{r.Kind} to {r.Topic} was not acknowledged"));
        await pipeline.WaitUntilCaughtUpAsync(CatchUpTimeout, () => "at the end");
        var peak = pipeline.PeakRss;
        var exits = await pipeline.StopAsync();
        var codec = AvroCodecs.Default.For<DeadLetter>();
        var deadLetters = ReadAll(pipeline.BootstrapServers, Topics.DeadLetter).Select(value => codec.Deserialize(value)).ToList();
        using var database = new ClickHouseDatabase(new ClickHouseConnectionStringBuilder(LocalClickHouse.ConnectionString) { Database = pipeline.Database }.ConnectionString);
        var index = records.Select((r, i) => (r, i)).ToDictionary(x => (x.r.Topic, x.r.Partition, x.r.Offset), x => x.i);
        try
        {
            return new SuiteOutcome(
                deadLetters,
                (await Rows(database, "SELECT snapshot_id, event_count, node_count, truncated, dropped_nodes FROM snapshots FINAL"))
                    .ToDictionary(r => r[0].GetString()!, r => (U64(r[1]), U64(r[2]), U64(r[3]) == 1, U64(r[4]))),
                (await Rows(database, "SELECT concat(image_name, '@', image_tag), argMax(snapshot_count, revision), argMax(node_count, revision) FROM profiles GROUP BY image_name, image_tag"))
                    .ToDictionary(r => r[0].GetString()!, r => (U64(r[1]), U64(r[2]))),
                await Ids(database, "SELECT signal_id FROM enriched_signals FINAL"),
                await Ids(database, "SELECT suppression_id FROM suppressions FINAL"),
                await Ids(database, "SELECT container_id FROM containers FINAL"),
                await CountsAsync(database),
                peak,
                pipeline.Kills,
                exits,
                DateTime.UtcNow - started)
            {
                ProfileNodes = (await Rows(database, "SELECT concat(image_name, '@', image_tag, ' ', kind, ' ', key, ' ', hex(node_id)), revision FROM profile_nodes FINAL"))
                    .ToDictionary(r => r[0].GetString()!, r => U64(r[1]), StringComparer.Ordinal),
                DeadLetterSet = deadLetters.Select(d => $"{d.Consumer} record {index.GetValueOrDefault((d.SourceTopic, d.Partition, d.Offset), -1)} {d.Reason}")
                    .ToHashSet(StringComparer.Ordinal),
            };
        }
        finally
        {
            await database.DropIfExistsAsync();
        }
    }

    static async Task<Dictionary<string, long>> CountsAsync(ClickHouseDatabase database)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in new[] { "snapshots", "snapshot_nodes", "profile_nodes", "enriched_signals", "suppressions", "containers" })
        {
            counts[table] = long.Parse(await database.ScalarTextAsync($"SELECT count() FROM {table} FINAL"), CultureInfo.InvariantCulture);
        }

        counts["profiles (keys)"] = long.Parse(await database.ScalarTextAsync("SELECT uniqExact(image_name, image_tag) FROM profiles"), CultureInfo.InvariantCulture);
        return counts;
    }

    /// <summary>ClickHouse writes 64-bit integers as JSON strings (output_format_json_quote_64bit_integers).</summary>
    static ulong U64(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? ulong.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetUInt64();

    static async Task<IReadOnlyList<JsonElement[]>> Rows(ClickHouseDatabase database, string sql) =>
        [.. (await database.QueryListAsync<Dictionary<string, JsonElement>>(sql)).Select(row => row.Values.ToArray())];

    static async Task<IReadOnlySet<string>> Ids(ClickHouseDatabase database, string sql) =>
        (await Rows(database, sql)).Select(r => r[0].GetString()!).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every record of <paramref name="topic"/>, read from the start up to its high watermarks.</summary>
    public static IReadOnlyList<byte[]> ReadAll(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"suite-reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            FetchMaxBytes = 64 << 20,
        }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions
            .Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        var ends = partitions.ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)));
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, ends[p].Low)));
        var values = new List<byte[]>();
        var remaining = partitions.Where(p => ends[p].High > ends[p].Low).ToHashSet();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (remaining.Count > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"reading {topic}: {remaining.Count} partitions not read to their end");
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { IsPartitionEOF: false } result) continue;
            values.Add(result.Message.Value);
            if (result.Offset.Value + 1 >= ends[result.TopicPartition].High) remaining.Remove(result.TopicPartition);
        }

        consumer.Close();
        return values;
    }

    /// <summary>The table of the suite: records sent per topic and kind, what became of them, and the processes.</summary>
    public static string Table(Workload workload, SuiteOutcome outcome)
    {
        var byPosition = outcome.DeadLetters.GroupBy(d => (d.SourceTopic, d.Partition, d.Offset)).ToDictionary(g => g.Key, g => g.ToList());
        var text = new StringBuilder();
        text.AppendLine("| topic | kind | fate | sent | dead-lettered | reasons (consumer) |");
        text.AppendLine("|---|---|---|---:|---:|---|");
        foreach (var group in workload.Records.GroupBy(r => (r.Topic, r.Kind, r.Fate)).OrderBy(g => g.Key.Topic, StringComparer.Ordinal).ThenBy(g => g.Key.Fate))
        {
            var letters = group.SelectMany(r => byPosition.GetValueOrDefault((r.Topic, r.Partition, r.Offset)) ?? []).ToList();
            var dead = group.Count(r => byPosition.ContainsKey((r.Topic, r.Partition, r.Offset)));
            var reasons = string.Join(", ", letters.GroupBy(l => $"{l.Reason} ({l.Consumer})").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}"));
            text.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key.Topic} | {group.Key.Kind} | {group.Key.Fate} | {group.Count()} | {dead} | {reasons} |");
        }

        var hostile = workload.Records.Where(r => r.Fate == Fate.DeadLettered).ToList();
        text.AppendLine(
            $"\nhostile records: {hostile.Count} ({hostile.Count(r => byPosition.ContainsKey((r.Topic, r.Partition, r.Offset)))} dead-lettered), " +
            $"valid records: {workload.Records.Count(r => r.Fate == Fate.Valid)}, stress records: {workload.Records.Count(r => r.Fate == Fate.Accepted)}; " +
            $"dead letters: {outcome.DeadLetters.Count}, by reason: " +
            string.Join(", ", outcome.DeadLetters.GroupBy(d => d.Reason).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")));
        text.AppendLine("ClickHouse (FINAL): " + string.Join(", ", outcome.TableCounts.Select(c => $"{c.Key} {c.Value}")));
        text.AppendLine("processes: " + string.Join(", ", outcome.PeakRss.Select(p =>
            $"{p.Key} peak RSS {p.Value / (1024 * 1024)} MiB, killed {outcome.Kills[p.Key]}×, exit on SIGTERM {outcome.StopExitCodes[p.Key]}")));
        text.AppendLine(CultureInfo.InvariantCulture, $"run time {outcome.Duration.TotalSeconds:F0} s");
        return text.ToString();
    }
}
