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
/// <c>wp-streams --bench [batches] [events-per-batch]</c>: on an in-process local broker, produces raw batches once, then
/// measures (1) a plain Confluent.Kafka consumer reading them (bytes only) and (2) the snapshot + detection jobs
/// processing them, and prints both rates in events/s and their ratio.
/// </summary>
internal static class PipelineBenchmark
{
    public static async Task<int> RunAsync(int batches, int eventsPerBatch)
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

        var raw = RawConsume(broker.BootstrapServers, batches);
        var pipeline = await PipelineAsync(broker, codecs, batches);
        var rawRate = total / raw.TotalSeconds;
        var pipelineRate = total / pipeline.TotalSeconds;
        Console.WriteLine($"batches={batches} events/batch={eventsPerBatch} events={total}");
        Console.WriteLine($"raw consume      : {rawRate,12:N0} events/s ({batches / raw.TotalSeconds:N0} records/s, {raw.TotalSeconds:F2} s)");
        Console.WriteLine($"pipeline (snapshots+detection): {pipelineRate,12:N0} events/s ({batches / pipeline.TotalSeconds:N0} records/s, {pipeline.TotalSeconds:F2} s)");
        Console.WriteLine($"ratio pipeline/raw = {pipelineRate / rawRate:P1}");
        return 0;
    }

    static TimeSpan RawConsume(string bootstrap, int records)
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
        var clock = new Stopwatch();
        while (seen < records)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is not null)
            {
                if (seen++ == 0) clock.Start();
            }
        }

        return clock.Elapsed;
    }

    static async Task<TimeSpan> PipelineAsync(LocalKafkaBroker broker, PipelineCodecs codecs, int records)
    {
        var metrics = new StreamsMetrics(Metrics.NewCustomRegistry());
        var topology = new PipelineTopology(new StreamsJobOptions { Jobs = StreamJobs.Snapshots | StreamJobs.Detection }, codecs, metrics);
        var config = LocalStreamsDefaults.ApplyTo(new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = "bench-" + Guid.NewGuid().ToString("N")[..8],
            BootstrapServers = broker.BootstrapServers,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            StateDir = Path.Combine(Path.GetTempPath(), "wp-bench-" + Guid.NewGuid().ToString("N")[..8]),
            MaxPollRecords = 5000,
        });
        using var stream = new KafkaStream(topology.Build(), config, new LocalBrokerKafkaSupplier(config, broker));
        var processed = metrics.RecordsIn.WithLabels("snapshots");
        var clock = new Stopwatch();
        await stream.StartAsync();
        while (processed.Value < 1) await Task.Delay(1);
        clock.Start();
        while (processed.Value < records) await Task.Delay(1);
        return clock.Elapsed;
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
