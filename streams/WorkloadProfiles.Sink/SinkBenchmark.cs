using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.Sink;

/// <summary>
/// <c>wp-sink bench</c>: the same snapshot records written twice in one run — once as pre-mapped rows straight through
/// <c>InsertBinaryAsync</c> (the raw limit of this ClickHouse), once through the sink from a local Kafka broker
/// (consume, Avro decode, map, insert, commit) — and the ratio of the two rates.
/// Options: <c>--Bench:Snapshots</c> (default 2000), <c>--Bench:NodesPerSnapshot</c> (default 50), <c>--Bench:Rounds</c> (default 3).
/// </summary>
internal static class SinkBenchmark
{
    public static async Task<int> RunAsync(ClickHouseOptions clickHouse, IConfiguration configuration, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var snapshotCount = configuration.GetValue("Bench:Snapshots", 2000);
        var nodesPerSnapshot = configuration.GetValue("Bench:NodesPerSnapshot", 50);
        var rounds = configuration.GetValue("Bench:Rounds", 3);
        var snapshots = Enumerable.Range(0, snapshotCount).Select(i => Snapshot(i, nodesPerSnapshot)).ToList();
        var totalRows = snapshots.Sum(s => 1L + s.Nodes.Count);
        var sinkOptions = new SinkOptions { LingerMs = 200 };
        Console.WriteLine($"sink benchmark: {snapshotCount} snapshots x {nodesPerSnapshot} nodes = {totalRows} rows per round, " +
                          $"batches of {sinkOptions.MaxBatchRecords} records, {rounds} rounds");

        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions());
        var kafka = new KafkaOptions { BootstrapServers = broker.BootstrapServers };
        using var codecs = new AvroCodecs();
        var codec = codecs.For<ActivitySnapshot>();

        var rawRates = new List<double>();
        var sinkRates = new List<double>();
        // Round 0 warms up the JIT, the connection pools and the server's caches; it is not reported.
        for (var round = 0; round <= rounds; round++)
        {
            rawRates.Add(await RawInsertRowsPerSecondAsync(clickHouse, snapshots, sinkOptions.MaxBatchRecords, totalRows, cancellationToken));

            var topic = $"bench-snapshots-{round}-{Guid.NewGuid():N}"[..32];
            foreach (var suffix in new[] { "", "-p", "-e", "-s", "-c" }) broker.CreateTopic(topic + suffix, Topics.DefaultPartitions);
            Produce(kafka, topic, snapshots.Select(s => (s.SnapshotId, codec.Serialize(s))), cancellationToken);
            sinkRates.Add(await SinkRowsPerSecondAsync(clickHouse, kafka, codecs, sinkOptions, topic, snapshots.Count, totalRows,
                loggerFactory, cancellationToken));
            if (round == 0)
            {
                rawRates.Clear();
                sinkRates.Clear();
                continue;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: raw InsertBinaryAsync {rawRates[^1],10:N0} rows/s   sink {sinkRates[^1],10:N0} rows/s   ratio {sinkRates[^1] / rawRates[^1]:0.00}"));
        }

        // Each round's ratio pairs two measurements taken back to back, so the median ratio is steadier than a ratio of medians.
        var ratio = Median(rawRates.Zip(sinkRates, (raw, sink) => sink / raw).ToList());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: raw InsertBinaryAsync {Median(rawRates):N0} rows/s, sink (Kafka -> decode -> map -> insert -> commit) " +
            $"{Median(sinkRates):N0} rows/s, median sink/raw ratio = {ratio:0.00}"));
        return 0;
    }

    private static async Task<double> RawInsertRowsPerSecondAsync(ClickHouseOptions options, IReadOnlyList<ActivitySnapshot> snapshots,
        int batchRecords, long totalRows, CancellationToken cancellationToken)
    {
        using var database = await FreshDatabaseAsync(options, "wp_bench_raw", cancellationToken);
        // Mapping is outside the timed part: the baseline is the driver and the server alone.
        var batches = snapshots.Chunk(batchRecords)
            .Select(chunk => (Snapshots: chunk.Select(SnapshotsTable.Row).ToList(), Nodes: chunk.SelectMany(SnapshotNodesTable.Rows).ToList()))
            .ToList();
        var watch = Stopwatch.StartNew();
        long rows = 0;
        foreach (var (snapshotRows, nodeRows) in batches)
        {
            rows += await database.InsertAsync(SnapshotsTable.Table, snapshotRows, cancellationToken);
            rows += await database.InsertAsync(SnapshotNodesTable.Table, nodeRows, cancellationToken);
        }
        watch.Stop();
        if (rows != totalRows) throw new InvalidOperationException($"raw insert wrote {rows} rows, expected {totalRows}");
        return rows / watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> SinkRowsPerSecondAsync(ClickHouseOptions options, KafkaOptions kafka, AvroCodecs codecs,
        SinkOptions template, string topic, int records, long totalRows, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        using var database = await FreshDatabaseAsync(options, "wp_bench_sink", cancellationToken);
        var sinkOptions = new SinkOptions
        {
            GroupId = $"bench-{Guid.NewGuid():N}",
            MaxBatchRecords = template.MaxBatchRecords,
            LingerMs = template.LingerMs,
            Migrate = false,
            Topics = new SinkTopicNames { Snapshots = topic, Profiles = topic + "-p", SignalsEnriched = topic + "-e", Suppressions = topic + "-s", Containers = topic + "-c" },
        };
        using var sink = new ClickHouseSink(kafka, database, sinkOptions, codecs, loggerFactory);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = sink.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow + RoundTimeout;
        // The clock starts at the first record: the consumer group join is a one-off start-up cost, not throughput.
        while (sink.Metrics.RecordsConsumed == 0)
        {
            await ThrowIfStuckAsync(running, deadline, sink, "the sink's first record");
            await Task.Delay(1, cancellationToken);
        }
        var watch = Stopwatch.StartNew();
        while (sink.Metrics.RecordsWritten < records)
        {
            await ThrowIfStuckAsync(running, deadline, sink, $"{records} records written");
            await Task.Delay(5, cancellationToken);
        }
        watch.Stop();
        await stop.CancelAsync();
        await running;
        if (sink.Metrics.RowsInserted != totalRows)
        {
            throw new InvalidOperationException($"sink wrote {sink.Metrics.RowsInserted} rows, expected {totalRows} ({sink.Metrics})");
        }
        return totalRows / watch.Elapsed.TotalSeconds;
    }

    private static readonly TimeSpan RoundTimeout = TimeSpan.FromMinutes(3);

    private static async Task ThrowIfStuckAsync(Task running, DateTime deadline, ClickHouseSink sink, string waitingFor)
    {
        if (running.IsCompleted) await running;
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"bench round gave up after {RoundTimeout.TotalMinutes} min waiting for {waitingFor} ({sink.Metrics})");
        }
    }

    private static async Task<ClickHouseDatabase> FreshDatabaseAsync(ClickHouseOptions options, string name, CancellationToken cancellationToken)
    {
        var database = new ClickHouseDatabase(options, name);
        await database.DropIfExistsAsync(cancellationToken);
        await new Migrator(database).MigrateAsync(cancellationToken);
        return database;
    }

    /// <summary>
    /// Keyed by snapshot id so the records spread evenly over the partitions: the local broker keeps only ~5 MiB per
    /// partition, and unkeyed (sticky-partitioned) records can pile into one partition and lose their oldest segments.
    /// </summary>
    private static void Produce(KafkaOptions kafka, string topic, IEnumerable<(string Key, byte[] Value)> records, CancellationToken cancellationToken)
    {
        var config = kafka.ToProducerConfig();
        config.LingerMs = 5;
        config.Acks = Acks.All;
        using var producer = new ProducerBuilder<byte[]?, byte[]>(config).Build();
        var failed = 0;
        Error? firstError = null;
        foreach (var (key, value) in records)
        {
            producer.Produce(topic, new Message<byte[]?, byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(key), Value = value }, report =>
            {
                if (!report.Error.IsError) return;
                firstError ??= report.Error;
                Interlocked.Increment(ref failed);
            });
        }
        producer.Flush(cancellationToken);
        if (failed > 0) throw new InvalidOperationException($"{failed} bench records were not delivered to {topic}: {firstError}");
    }

    private static ActivitySnapshot Snapshot(int index, int nodes)
    {
        var container = $"bench{index % 40:D4}";
        var windowStartUs = 1_793_491_200_000_000L + index * 1_800_000_000L;
        return new ActivitySnapshot
        {
            SnapshotId = ActivitySnapshot.MakeId(container, windowStartUs),
            Container = new ContainerRef(container, "nginx", "1.27"),
            HostName = "bench-host",
            WindowStartUs = windowStartUs,
            WindowEndUs = windowStartUs + 1_800_000_000L,
            EventCount = nodes * 10L,
            Nodes = Enumerable.Range(0, nodes).Select(n => new SnapshotNode
            {
                Id = (ulong)(n + 1) * 0x9E3779B97F4A7C15UL,
                ParentId = n == 0 ? 0 : 0x9E3779B97F4A7C15UL,
                Kind = n == 0 ? NodeKind.Process : (NodeKind)(1 + n % 3),
                Key = n == 0 ? "/usr/sbin/nginx" : $"/var/lib/nginx/cache/{n % 16:x}/entry-{n}",
                EventCount = 10,
                FirstSeenUs = windowStartUs,
                LastSeenUs = windowStartUs + 60_000_000L,
                Access = FileAccessMode.Read,
            }).ToList(),
        };
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
