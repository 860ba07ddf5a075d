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
/// <c>wp-sink bench</c>: the same snapshot records written twice per round — once as pre-mapped rows straight through
/// <c>InsertBinaryAsync</c> in batches of the sink's bounds (the raw limit of this ClickHouse), once through the sink from
/// a local Kafka broker (consume, Avro decode, map, insert, commit) — and the ratio of the two rates; also the rate of
/// consume + decode + map + encode alone, the other bound on the sink. Enough records for several batches, so the rate is the
/// steady one and not the first batch's linger.
/// Options: <c>--Bench:Snapshots</c> (default 20000), <c>--Bench:NodesPerSnapshot</c> (default 50), <c>--Bench:Rounds</c> (default 5),
/// <c>--Sink:InsertConcurrency</c> (the sink's default).
/// </summary>
internal static class SinkBenchmark
{
    public static async Task<int> RunAsync(ClickHouseOptions clickHouse, IConfiguration configuration, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var snapshotCount = configuration.GetValue("Bench:Snapshots", 20_000);
        var nodesPerSnapshot = configuration.GetValue("Bench:NodesPerSnapshot", 50);
        var rounds = configuration.GetValue("Bench:Rounds", 5);
        var snapshots = Enumerable.Range(0, snapshotCount).Select(i => Snapshot(i, nodesPerSnapshot)).ToList();
        var totalRows = snapshots.Sum(s => 1L + s.Nodes.Count);
        var sinkOptions = new SinkOptions
        {
            LingerMs = 200,
            InsertConcurrency = configuration.GetValue("Sink:InsertConcurrency", new SinkOptions().InsertConcurrency),
        };

        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions());
        var kafka = new KafkaOptions { BootstrapServers = broker.BootstrapServers };
        using var codecs = new AvroCodecs();
        var codec = codecs.For<ActivitySnapshot>();
        // One topic read by every round (a new consumer group each time), spread so no partition nears the ~5 MiB the
        // local broker keeps.
        var topic = $"bench-snapshots-{Guid.NewGuid():N}"[..32];
        long bytes;
        int partitions;
        {
            var encoded = snapshots.Select(s => (s.SnapshotId, Value: codec.Serialize(s))).ToList();
            bytes = encoded.Sum(e => (long)e.Value.Length);
            partitions = (int)Math.Clamp(bytes / (2 << 20) + 1, Topics.DefaultPartitions, 256);
            broker.CreateTopic(topic, partitions);
            foreach (var suffix in new[] { "-p", "-e", "-s", "-c" }) broker.CreateTopic(topic + suffix, Topics.DefaultPartitions);
            Produce(kafka, topic, encoded, cancellationToken);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sink benchmark: {snapshotCount} snapshots x {nodesPerSnapshot} nodes = {totalRows:N0} rows per round " +
            $"({bytes / 1e6:0.#} MB of Avro in {partitions} partitions), batches of at most {sinkOptions.MaxBatchRecords} records " +
            $"or {sinkOptions.MaxBatchRows} rows, linger {sinkOptions.LingerMs} ms, up to {sinkOptions.InsertConcurrency} inserts per table at once " +
            $"(the raw baseline: one), {rounds} rounds after a warm-up"));

        var rawRates = new List<double>();
        var concurrentRates = new List<double>();
        var mapRates = new List<double>();
        var sinkRates = new List<double>();
        var concurrent = sinkOptions.InsertConcurrency > 1;
        // Round 0 warms up the JIT, the connection pools and the server's caches; it is not reported.
        for (var round = 0; round <= rounds; round++)
        {
            var raw = await RawInsertRowsPerSecondAsync(clickHouse, snapshots, sinkOptions, concurrency: 1, totalRows, cancellationToken);
            // The sink's inserts side by side, done raw: what the sink's concurrency alone is worth on this server.
            var rawConcurrent = concurrent
                ? await RawInsertRowsPerSecondAsync(clickHouse, snapshots, sinkOptions, sinkOptions.InsertConcurrency, totalRows, cancellationToken)
                : raw;
            var map = MapRowsPerSecond(kafka, codecs, topic, snapshots.Count, totalRows, sinkOptions, cancellationToken);
            var sink = await SinkRowsPerSecondAsync(clickHouse, kafka, codecs, sinkOptions, topic, snapshots.Count, totalRows,
                loggerFactory, cancellationToken);
            if (round == 0) continue;
            rawRates.Add(raw.RowsPerSecond);
            concurrentRates.Add(rawConcurrent.RowsPerSecond);
            mapRates.Add(map);
            sinkRates.Add(sink.RowsPerSecond);
            var asTheSinks = concurrent
                ? string.Create(CultureInfo.InvariantCulture, $"raw, inserts as the sink's {rawConcurrent.RowsPerSecond,9:N0} rows/s   ")
                : "";
            var againstThat = concurrent
                ? string.Create(CultureInfo.InvariantCulture, $", sink/raw as the sink's {sink.RowsPerSecond / rawConcurrent.RowsPerSecond:0.00}")
                : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: raw InsertBinaryAsync {raw.RowsPerSecond,9:N0} rows/s ({raw.Cpu.TotalSeconds:0.0} s CPU here)   {asTheSinks}" +
                $"consume + decode + map + encode {map,10:N0} rows/s   sink {sink.RowsPerSecond,9:N0} rows/s ({sink.Cpu.TotalSeconds:0.0} s CPU here, " +
                $"GC pauses {sink.GcPauses.TotalSeconds:0.00} s)   " +
                $"sink/raw {sink.RowsPerSecond / raw.RowsPerSecond:0.00}{againstThat}"));
        }

        // Each round's ratio pairs measurements taken back to back, so the median ratio is steadier than a ratio of medians.
        var ratio = Median(rawRates.Zip(sinkRates, (raw, sink) => sink / raw).ToList());
        var concurrentMedian = concurrent
            ? string.Create(CultureInfo.InvariantCulture, $"raw with inserts as the sink's {Median(concurrentRates):N0} rows/s, ")
            : "";
        var concurrentRatio = concurrent
            ? string.Create(CultureInfo.InvariantCulture,
                $", against raw with inserts as the sink's = {Median(concurrentRates.Zip(sinkRates, (raw, sink) => sink / raw).ToList()):0.00}")
            : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: raw InsertBinaryAsync {Median(rawRates):N0} rows/s, {concurrentMedian}consume + decode + map + encode {Median(mapRates):N0} rows/s, " +
            $"sink (Kafka -> decode -> map -> encode -> insert -> commit) {Median(sinkRates):N0} rows/s, median sink/raw ratio = {ratio:0.00}{concurrentRatio}"));
        foreach (var role in new[] { "raw", "sink" })
        {
            using var database = new ClickHouseDatabase(clickHouse, DatabaseName(role));
            await database.DropIfExistsAsync(cancellationToken);
        }
        return 0;
    }

    /// <summary>A phase's rate, the CPU this process spent on it (the ClickHouse server's is not in it) and its GC pauses.</summary>
    private readonly record struct Measured(double RowsPerSecond, TimeSpan Cpu, TimeSpan GcPauses);

    /// <summary>
    /// Before a timed phase: the garbage of the last one (a round's rows are hundreds of MB) is collected now, not during
    /// the next phase, and the process CPU clock is read.
    /// </summary>
    private static (TimeSpan Cpu, TimeSpan GcPauses) Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return (Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalPauseDuration());
    }

    private static Measured Since((TimeSpan Cpu, TimeSpan GcPauses) start, double rowsPerSecond) =>
        new(rowsPerSecond, Process.GetCurrentProcess().TotalProcessorTime - start.Cpu, GC.GetTotalPauseDuration() - start.GcPauses);

    /// <param name="concurrency">
    /// 1: one table after the other, one INSERT each, per batch (the baseline). More: the batch's inserts as the sink sends
    /// them — tables side by side, a table's rows split as <see cref="RowWriter"/> splits them.
    /// </param>
    private static async Task<Measured> RawInsertRowsPerSecondAsync(ClickHouseOptions options, List<ActivitySnapshot> snapshots,
        SinkOptions bounds, int concurrency, long totalRows, CancellationToken cancellationToken)
    {
        using var database = await FreshDatabaseAsync(options, "raw", cancellationToken);
        // Mapping is outside the timed part: the baseline is the driver and the server alone, in batches as large as the sink's.
        var rowsPerSnapshot = (int)(totalRows / snapshots.Count);
        var batchRecords = Math.Max(1, Math.Min(bounds.MaxBatchRecords, bounds.MaxBatchRows / rowsPerSnapshot));
        var batches = snapshots.Chunk(batchRecords)
            .Select(chunk => (Snapshots: chunk.Select(SnapshotsTable.Row).ToList(), Nodes: chunk.SelectMany(SnapshotNodesTable.Rows).ToList()))
            .ToList();
        var start = Settle();
        var watch = Stopwatch.StartNew();
        long rows = 0;
        foreach (var (snapshotRows, nodeRows) in batches)
        {
            if (concurrency == 1)
            {
                rows += await database.InsertAsync(SnapshotsTable.Table, snapshotRows, cancellationToken);
                rows += await database.InsertAsync(SnapshotNodesTable.Table, nodeRows, cancellationToken);
                continue;
            }
            var inserts = Split(snapshotRows, concurrency).Select(part => database.InsertAsync(SnapshotsTable.Table, part, cancellationToken))
                .Concat(Split(nodeRows, concurrency).Select(part => database.InsertAsync(SnapshotNodesTable.Table, part, cancellationToken)));
            rows += (await Task.WhenAll(inserts)).Sum();
        }
        watch.Stop();
        var measured = Since(start, rows / watch.Elapsed.TotalSeconds);
        if (rows != totalRows) throw new InvalidOperationException($"raw insert wrote {rows} rows, expected {totalRows}");
        // Its parts would otherwise be merged while the next phase runs.
        await database.DropIfExistsAsync(cancellationToken);
        return measured;

        static IEnumerable<List<object?[]>> Split(List<object?[]> rows, int concurrency) =>
            RowWriter.Parts(rows.Count, concurrency).Select(part => rows.GetRange(part.Start, part.Count));
    }

    private static async Task<Measured> SinkRowsPerSecondAsync(ClickHouseOptions options, KafkaOptions kafka, AvroCodecs codecs,
        SinkOptions template, string topic, int records, long totalRows, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        using var database = await FreshDatabaseAsync(options, "sink", cancellationToken);
        var sinkOptions = new SinkOptions
        {
            GroupId = $"bench-{Guid.NewGuid():N}",
            MaxBatchRecords = template.MaxBatchRecords,
            MaxBatchRows = template.MaxBatchRows,
            InsertConcurrency = template.InsertConcurrency,
            LingerMs = template.LingerMs,
            Migrate = false,
            Topics = new SinkTopicNames { Snapshots = topic, Profiles = topic + "-p", SignalsEnriched = topic + "-e", Suppressions = topic + "-s", Containers = topic + "-c" },
        };
        using var sink = new ClickHouseSink(kafka, database, sinkOptions, codecs, loggerFactory);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var start = Settle();
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
        var measured = Since(start, totalRows / watch.Elapsed.TotalSeconds);
        await stop.CancelAsync();
        await running;
        if (sink.Metrics.RowsInserted != totalRows)
        {
            throw new InvalidOperationException($"sink wrote {sink.Metrics.RowsInserted} rows, expected {totalRows} ({sink.Metrics})");
        }
        await database.DropIfExistsAsync(cancellationToken);
        return measured;
    }

    /// <summary>
    /// The sink's other bound: a consumer reading the same records, decoding, mapping and encoding each to its rows as the
    /// sink does (the sink's topic mapping, RowBinary), without inserting.
    /// </summary>
    private static double MapRowsPerSecond(KafkaOptions kafka, AvroCodecs codecs, string topic, int records, long totalRows,
        SinkOptions bounds, CancellationToken cancellationToken)
    {
        var mapping = SinkTopics.Create(new SinkTopicNames { Snapshots = topic }, codecs).Single(t => t.Name == topic);
        Settle();
        var config = kafka.ToConsumerConfig($"bench-map-{Guid.NewGuid():N}");
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow + RoundTimeout;
        Stopwatch? watch = null;
        long rows = 0;
        var encoded = new Dictionary<ClickHouseTable, RowBinaryRows>();
        for (var seen = 0; seen < records;)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"consume + map read {seen} of {records} records in {RoundTimeout.TotalMinutes} min");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { } result) continue;
            watch ??= Stopwatch.StartNew();
            seen++;
            foreach (var (table, tableRows) in mapping.Map(result.Message.Value))
            {
                if (!encoded.TryGetValue(table, out var bytes)) encoded[table] = bytes = new RowBinaryRows(table);
                // As a sink batch does, up to its bound.
                if (bytes.Count >= bounds.MaxBatchRows) bytes.Truncate(0);
                foreach (var row in tableRows) bytes.Add(row);
                rows += tableRows.Count;
            }
        }
        watch!.Stop();
        foreach (var bytes in encoded.Values) bytes.Dispose();
        consumer.Close();
        if (rows != totalRows) throw new InvalidOperationException($"consume + map made {rows} rows, expected {totalRows}");
        cancellationToken.ThrowIfCancellationRequested();
        return rows / watch.Elapsed.TotalSeconds;
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

    /// <summary>Named for this process, so benches run by others against the same server do not drop it under this one.</summary>
    private static string DatabaseName(string role) => $"wp_bench_{role}_{Environment.ProcessId}";

    private static async Task<ClickHouseDatabase> FreshDatabaseAsync(ClickHouseOptions options, string role, CancellationToken cancellationToken)
    {
        var database = new ClickHouseDatabase(options, DatabaseName(role));
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

    /// <summary>
    /// A fleet's snapshots as a sink meets them: 400 containers closing a window every 30 min, so a batch holds a few
    /// windows of one month (the tables are partitioned by month; a batch spread over a year would cost the server a part
    /// per month per insert, whichever side inserts it).
    /// </summary>
    private static ActivitySnapshot Snapshot(int index, int nodes)
    {
        const int Containers = 400;
        var container = $"bench{index % Containers:D4}";
        var windowStartUs = 1_793_491_200_000_000L + index / Containers * 1_800_000_000L;
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
