using System.Diagnostics;
using Confluent.Kafka;
using Prometheus;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Kafka.Streams;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Host;

/// <summary>
/// <c>wp-streams --bench [batches] [events-per-batch] [jobs]</c>: on an in-process local broker, produces raw batches
/// once, then measures (1) a plain Confluent.Kafka consumer reading them (bytes only), (2) the same consumer also
/// Avro-decoding each batch (the fair baseline: every job pays one decode per record) and (3) the selected jobs
/// (default snapshots + detection) processing them; prints wall-clock and process-CPU rates and the ratios.
/// Results: BENCH.md next to this file.
/// </summary>
internal static class PipelineBenchmark
{
    /// <summary>Wall-clock and process CPU time of one phase; on a loaded machine the CPU figure is the comparable one.</summary>
    readonly record struct Cost(TimeSpan Wall, TimeSpan Cpu)
    {
        public static Func<Cost> Start()
        {
            var wall = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            return () => new Cost(wall.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
        }
    }

    public static async Task<int> RunAsync(int batches, int eventsPerBatch, StreamJobs jobs = StreamJobs.Snapshots | StreamJobs.Detection)
    {
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
                producer.Produce(PipelineTopics.RawEvents.Name, new Message<string, byte[]> { Key = batch.Container.Id, Value = codecs.Batches.Serialize(batch) });
            }

            producer.Flush();
        }

        codecs.Batches.Deserialize(codecs.Batches.Serialize(Batch(0, eventsPerBatch))); // JIT the decoder outside the timings
        var raw = RawConsume(broker.BootstrapServers, batches, decode: null);
        var decoded = RawConsume(broker.BootstrapServers, batches, codecs);
        var pipeline = await PipelineAsync(broker, codecs, batches, jobs);
        Console.WriteLine($"batches={batches} events/batch={eventsPerBatch} events={total} jobs={jobs}");
        Line("raw consume (bytes only)", raw);
        Line("raw consume + Avro decode", decoded);
        Line($"pipeline ({jobs})", pipeline);
        Console.WriteLine($"ratio pipeline / (raw consume + decode): wall {decoded.Wall / pipeline.Wall:P1}, CPU {decoded.Cpu / pipeline.Cpu:P1}");
        Console.WriteLine($"ratio pipeline / raw consume (bytes)  : wall {raw.Wall / pipeline.Wall:P1}, CPU {raw.Cpu / pipeline.Cpu:P1}");
        return 0;

        void Line(string what, Cost cost) =>
            Console.WriteLine($"{what,-34}: wall {total / cost.Wall.TotalSeconds,12:N0} events/s ({cost.Wall.TotalSeconds:F3} s), " +
                $"CPU {total / cost.Cpu.TotalSeconds,12:N0} events/s ({cost.Cpu.TotalSeconds:F3} s)");
    }

    // The fair baseline decodes each batch too, since every pipeline job pays that once per record.
    static Cost RawConsume(string bootstrap, int records, PipelineCodecs? decode)
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
                if (decode is not null && decode.Batches.Deserialize(result.Message.Value).Events.Count == 0)
                {
                    throw new InvalidOperationException("A benchmark batch decoded without events.");
                }
            }
        }

        return clock!();
    }

    static async Task<Cost> PipelineAsync(LocalKafkaBroker broker, PipelineCodecs codecs, int records, StreamJobs jobs)
    {
        var metrics = new StreamsMetrics(Metrics.NewCustomRegistry());
        var topology = new PipelineTopology(new StreamsJobOptions { Jobs = jobs }, codecs, metrics);
        var config = LocalStreamsDefaults.ApplyTo(new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = "bench-" + Guid.NewGuid().ToString("N")[..8],
            BootstrapServers = broker.BootstrapServers,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            StateDir = Path.Combine(Path.GetTempPath(), "wp-bench-" + Guid.NewGuid().ToString("N")[..8]),
            MaxPollRecords = 5000,
        });
        using var stream = new KafkaStream(topology.Build(), config, new LocalBrokerKafkaSupplier(config, broker));
        var processed = metrics.RecordsIn.WithLabels((jobs & StreamJobs.Snapshots) != 0 ? "snapshots" : "detection");
        await stream.StartAsync();
        while (processed.Value < 1) await Task.Delay(1);
        var clock = Cost.Start();
        while (processed.Value < records) await Task.Delay(1);
        var cost = clock();
        Console.WriteLine($"pipeline output: signals={metrics.RecordsOut.WithLabels("detection", PipelineTopics.Signals.Name).Value:N0} " +
            $"dead letters={metrics.RecordsOut.WithLabels("snapshots", PipelineTopics.DeadLetter.Name).Value:N0} " +
            $"snapshots={metrics.RecordsOut.WithLabels("snapshots", PipelineTopics.Snapshots.Name).Value:N0}");
        return cost;
    }

    // One agent flush: a container's events — a few execs, many opens and DNS questions, as a busy web server makes.
    static RawEventBatch Batch(int index, int size)
    {
        var container = new ContainerRef($"bench-{index % 64:D2}", "nginx", "1.27");
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
