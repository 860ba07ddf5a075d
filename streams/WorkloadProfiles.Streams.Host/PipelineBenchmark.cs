using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Prometheus;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Kafka.Streams;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Host;

/// <summary>
/// <c>wp-streams bench [--batches N] [--events-per-batch N] [--jobs snapshots,detection] [--containers N]</c>: on an in-process local broker, produces raw batches
/// once, then measures (1) a plain Confluent.Kafka consumer reading them (bytes only), (2) the same consumer also
/// Avro-decoding each batch (the fair baseline: every job pays one decode per record) and (3) the selected jobs
/// (default snapshots + detection) processing them; prints wall-clock and process-CPU rates and the ratios.
/// Results: BENCH.md next to this file.
/// </summary>
internal static class PipelineBenchmark
{
    /// <summary>
    /// Wall-clock and process CPU time of one phase (on a loaded machine the CPU figure is the comparable one), with the
    /// bytes the process allocated and the gen-1 and gen-2 collections meanwhile: unlike the times, these barely vary with
    /// the machine's load, so they show what a change did to the GC's work.
    /// </summary>
    /// <para>The in-process broker's thread (librdkafka's mock cluster, <c>rdk:mock</c>) serves every phase's fetches and
    /// the pipeline's changelog and output produces; a production job does not pay that CPU, its broker runs elsewhere.
    /// <see cref="BrokerCpu"/> is that thread's share of <see cref="Cpu"/>, so both views are printed.</para>
    readonly record struct Cost(TimeSpan Wall, TimeSpan Cpu, long Allocated = 0, int Gen1 = 0, int Gen2 = 0, TimeSpan GcPause = default,
        TimeSpan BrokerCpu = default)
    {
        public TimeSpan CpuWithoutBroker => Cpu - BrokerCpu;

        public static Func<Cost> Start()
        {
            var wall = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var broker = InProcessBrokerCpu();
            var allocated = GC.GetTotalAllocatedBytes();
            var (gen1, gen2, pause) = (GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());
            return () => new Cost(wall.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu, GC.GetTotalAllocatedBytes() - allocated,
                GC.CollectionCount(1) - gen1, GC.CollectionCount(2) - gen2, GC.GetTotalPauseDuration() - pause, InProcessBrokerCpu() - broker);
        }

        /// <summary>CPU time of this process's <c>rdk:mock</c> threads (they live as long as the broker), from each thread's
        /// <c>schedstat</c> (nanoseconds on the CPU), as bench/agent/run.sh reads the agent's threads.</summary>
        static TimeSpan InProcessBrokerCpu()
        {
            var nanoseconds = 0L;
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith("rdk:mock", StringComparison.Ordinal)) continue;
                    nanoseconds += long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The thread ended between the listing and the read: it was not the broker's.
                }
            }

            return TimeSpan.FromTicks(nanoseconds / 100);
        }
    }

    public static async Task<int> RunAsync(int batches, int eventsPerBatch, StreamJobs jobs = StreamJobs.Snapshots | StreamJobs.Detection,
        int containers = 64, int rounds = 5, int warmUpRounds = 1, CompressionType compression = CompressionType.Lz4)
    {
        if (warmUpRounds < 0) throw new ArgumentOutOfRangeException(nameof(warmUpRounds), "--warm-up-rounds must not be negative.");
        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Topics = TopicLayout.Pipeline });
        broker.CreateTopic("wp.falco", Topics.DefaultPartitions);
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        var total = (long)batches * eventsPerBatch;

        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
               { BootstrapServers = broker.BootstrapServers, LingerMs = 5, BatchSize = 1 << 20 }).Build())
        {
            for (var i = 0; i < batches; i++)
            {
                var batch = Batch(i, eventsPerBatch);
                producer.Produce(PipelineTopics.RawEvents.Name, new Message<string, byte[]>
                {
                    Key = batch.Container.Id,
                    Value = codecs.Batches.Serialize(batch),
                    // Stamped as the agent that flushed it would have been, or the jobs refuse events a year older than their record.
                    Timestamp = new Timestamp(batch.Events[^1].TimestampUs / 1000, TimestampType.CreateTime),
                });
            }

            producer.Flush();
        }

        // The warm-up rounds (JIT tiering, broker buffers, the pipeline's first-time topic creation) are not counted; the
        // figures are the medians of the measured rounds, each of which runs all four on the same messages. With one
        // warm-up round the tiered JIT is still compiling during most measured rounds (BENCH.md); more give the steady state.
        var measured = new List<(Cost Raw, Cost Decoded, Cost Work, Cost Pipeline)>();
        for (var round = 1 - warmUpRounds; round <= rounds; round++)
        {
            var raw = RawConsume(broker.BootstrapServers, batches, codecs: null, work: null);
            var decoded = RawConsume(broker.BootstrapServers, batches, codecs, work: null);
            var work = RawConsume(broker.BootstrapServers, batches, codecs, DomainWork(jobs));
            var pipeline = await PipelineAsync(broker, codecs, batches, jobs, compression);
            Console.WriteLine($"round {round}{(round <= 0 ? " (warm-up)" : "")}: events/s raw {Rate(raw)}, raw + decode {Rate(decoded)}, " +
                $"raw + decode + domain work {Rate(work)}, pipeline {Rate(pipeline)} → {decoded.Wall / pipeline.Wall:P1} of raw + decode");
            if (round > 0) measured.Add((raw, decoded, work, pipeline));
        }

        var rawMedian = Median(measured.Select(m => m.Raw));
        var decodedMedian = Median(measured.Select(m => m.Decoded));
        var pipelineMedian = Median(measured.Select(m => m.Pipeline));
        Console.WriteLine($"batches={batches} events/batch={eventsPerBatch} events={total} containers={containers} jobs={jobs} rounds={rounds} after {warmUpRounds} warm-up (medians) compression={compression}");
        Line("raw consume (bytes only)", rawMedian);
        Line("raw consume + Avro decode", decodedMedian);
        Line("raw consume + decode + domain work", Median(measured.Select(m => m.Work)));
        Line($"pipeline ({jobs})", pipelineMedian);
        Console.WriteLine($"ratio pipeline / (raw consume + decode): wall {Median(measured.Select(m => m.Decoded.Wall / m.Pipeline.Wall)):P1}, " +
            $"CPU {Median(measured.Select(m => m.Decoded.Cpu / m.Pipeline.Cpu)):P1}");
        Console.WriteLine($"ratio pipeline / (raw consume + decode), CPU without the in-process broker's thread: " +
            $"{Median(measured.Select(m => m.Decoded.CpuWithoutBroker / m.Pipeline.CpuWithoutBroker)):P1} " +
            $"(the broker's thread: {Median(measured.Select(m => m.Decoded.BrokerCpu.TotalSeconds)):F3} s of consume + decode, " +
            $"{Median(measured.Select(m => m.Pipeline.BrokerCpu.TotalSeconds)):F3} s of the pipeline)");
        Console.WriteLine($"ratio pipeline / (raw + domain work)    : wall {Median(measured.Select(m => m.Work.Wall / m.Pipeline.Wall)):P1}, " +
            $"CPU {Median(measured.Select(m => m.Work.Cpu / m.Pipeline.Cpu)):P1}  (the framework's own share: Streamiz, state, changelog)");
        Console.WriteLine($"ratio pipeline / raw consume (bytes)  : wall {Median(measured.Select(m => m.Raw.Wall / m.Pipeline.Wall)):P1}, " +
            $"CPU {Median(measured.Select(m => m.Raw.Cpu / m.Pipeline.Cpu)):P1}");
        return 0;

        RawEventBatch Batch(int index, int size) => PipelineBenchmark.Batch(index, size, containers);

        string Rate(Cost cost) => $"{total / cost.Wall.TotalSeconds:N0}";

        void Line(string what, Cost cost) =>
            Console.WriteLine($"{what,-34}: wall {total / cost.Wall.TotalSeconds,12:N0} events/s ({cost.Wall.TotalSeconds:F3} s), " +
                $"CPU {total / cost.Cpu.TotalSeconds,12:N0} events/s ({cost.Cpu.TotalSeconds:F3} s), " +
                $"allocated {(double)cost.Allocated / total,6:N0} B/event, gen1/gen2 GCs {cost.Gen1}/{cost.Gen2}, " +
                $"GC pauses {cost.GcPause.TotalSeconds:F3} s, CPU without the broker's thread {total / cost.CpuWithoutBroker.TotalSeconds,12:N0} events/s");
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static Cost Median(IEnumerable<Cost> costs)
    {
        var all = costs.ToArray();
        return new Cost(TimeSpan.FromSeconds(Median(all.Select(c => c.Wall.TotalSeconds))), TimeSpan.FromSeconds(Median(all.Select(c => c.Cpu.TotalSeconds))),
            (long)Median(all.Select(c => (double)c.Allocated)), (int)Median(all.Select(c => (double)c.Gen1)), (int)Median(all.Select(c => (double)c.Gen2)),
            TimeSpan.FromSeconds(Median(all.Select(c => c.GcPause.TotalSeconds))), TimeSpan.FromSeconds(Median(all.Select(c => c.BrokerCpu.TotalSeconds))));
    }

    // Baselines: bytes only; + Avro decode (every job pays one decode per record); + the jobs' domain work in a plain
    // consumer loop (what the pipeline computes minus Streamiz, state stores and changelogs).
    static Cost RawConsume(string bootstrap, int records, PipelineCodecs? codecs, Action<RawEventBatch>? work)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-raw-" + Guid.NewGuid().ToString("N")[..8],
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(PipelineTopics.RawEvents.Name);
        var seen = 0;
        Func<Cost>? clock = null;
        while (seen < records)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { } result)
            {
                if (seen++ == 0) clock = Cost.Start();
                if (codecs is null) continue;
                var batch = codecs.Batches.Deserialize(result.Message.Value);
                if (batch.Events.Count == 0) throw new InvalidOperationException("A benchmark batch decoded without events.");
                work?.Invoke(batch);
            }
        }

        return clock!();
    }

    // The per-batch work of the selected jobs, without the framework: one snapshot builder per container-window (sharing
    // the leaf identities, as the snapshot job's builders of a task do), one detection engine (with its process lineages)
    // for all containers.
    static Action<RawEventBatch> DomainWork(StreamJobs jobs)
    {
        var options = new StreamsJobOptions();
        var windowUs = (long)options.Snapshots.Window.TotalMicroseconds;
        var builders = new Dictionary<(string, long), SnapshotBuilder>();
        var leaves = new LeafIdentities(options.Snapshots.Limits.MaxKeyLength);
        var detection = (jobs & StreamJobs.Detection) != 0 ? new DetectionEngine(RuleSet.Load(options.Detection.Engine)) : null;
        return batch =>
        {
            if ((jobs & StreamJobs.Snapshots) != 0)
            {
                foreach (var e in batch.Events)
                {
                    var start = e.TimestampUs - e.TimestampUs % windowUs;
                    if (!builders.TryGetValue((batch.Container.Id, start), out var builder))
                    {
                        builders[(batch.Container.Id, start)] = builder =
                            new SnapshotBuilder(batch.Container, batch.HostName, start, start + windowUs, options.Snapshots.Limits, leaves: leaves);
                    }

                    builder.Add(e);
                }
            }

            detection?.Evaluate(batch);
        };
    }

    static async Task<Cost> PipelineAsync(LocalKafkaBroker broker, PipelineCodecs codecs, int records, StreamJobs jobs, CompressionType compression)
    {
        var metrics = new StreamsMetrics(Metrics.NewCustomRegistry());
        var topology = new PipelineTopology(new StreamsJobOptions { Jobs = jobs }, codecs, metrics);
        var stateDir = Path.Combine(Path.GetTempPath(), "wp-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var config = LocalStreamsDefaults.ApplyTo(new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = "bench-" + Guid.NewGuid().ToString("N")[..8],
            BootstrapServers = broker.BootstrapServers,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            StateDir = stateDir,
            MaxPollRecords = 5000,
            CompressionType = compression,
            Logger = Quiet,
        });
        try
        {
            using var stream = new KafkaStream(topology.Build(), config, new LocalBrokerKafkaSupplier(config, broker));
            topology.Restoration.Follow(stream);
            var processed = metrics.RecordsIn.WithLabels((jobs & StreamJobs.Snapshots) != 0 ? "snapshots" : "detection");
            await stream.StartAsync();
            while (processed.Value < 1) await Task.Delay(1);
            var clock = Cost.Start();
            while (processed.Value < records) await Task.Delay(1);
            var cost = clock();
            var outputs = metrics.RecordsOut.WithLabels("detection", PipelineTopics.Signals.Name).Value
                + metrics.RecordsOut.WithLabels("snapshots", PipelineTopics.DeadLetter.Name).Value
                + metrics.RecordsOut.WithLabels("snapshots", PipelineTopics.Snapshots.Name).Value;
            if (outputs > 0)
            {
                // The load is shaped to produce nothing while measured; output would make the rounds incomparable.
                throw new InvalidOperationException($"The benchmark load produced {outputs} output records.");
            }

            return cost;
        }
        finally
        {
            if (Directory.Exists(stateDir)) Directory.Delete(stateDir, recursive: true);
        }
    }

    static readonly ILoggerFactory Quiet = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Error));

    // One agent flush: a container's events — a few execs, many opens and DNS questions, as a busy web server makes.
    static RawEventBatch Batch(int index, int size, int containers)
    {
        var container = new ContainerRef($"bench-{index % containers:D4}", "nginx", "1.27");
        var t0 = 1_704_067_200_000_000L + index * 1_000L;
        var events = new RawEvent[size];
        for (var i = 0; i < size; i++)
        {
            events[i] = (i % 20) switch
            {
                0 => new RawEvent { Kind = EventKind.Exec, TimestampUs = t0 + i, Pid = 10 + (i % 7), Comm = "worker", ExecutablePath = "/usr/bin/worker", Args = ["worker", "--id", "1"] },
                1 => new RawEvent { Kind = EventKind.Dns, TimestampUs = t0 + i, Pid = 10 + (i % 7), Comm = "worker", DnsQuestionName = "upstream.internal", DestinationAddress = "10.0.0.2", DestinationPort = 53, Transport = NetworkTransport.Udp },
                _ => new RawEvent { Kind = EventKind.Open, TimestampUs = t0 + i, Pid = 10 + (i % 7), Comm = "worker", FilePath = $"/srv/www/static/file-{i % 50}.css" },
            };
        }

        return new RawEventBatch { Container = container, HostName = "bench", AgentId = "bench", Sequence = index, Events = events };
    }
}
