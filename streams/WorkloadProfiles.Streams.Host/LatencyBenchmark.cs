using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Host;

/// <summary>
/// <c>wp-streams latency-bench [--seconds N] [--rates 0,10,1000,10000] [--containers 64] [--images 8]
/// [--child-env WP_Streams__PollMs=100 …]</c>: how long a
/// signal takes from its raw batch being produced to its enriched record being readable on <c>wp.signals.enriched</c>,
/// measured while input keeps arriving.
/// <para>
/// It hosts a local broker (with its control port, as <c>wp-local</c> does), seeds a profile per image, starts this very
/// <c>wp-streams</c> as a child process with its production defaults (every job, default commit interval and threads,
/// the local-broker settings it applies to itself), and for each rate produces raw batches at a steady pace for a fixed
/// time: every 10 ms a tenth of the containers flush one batch each, as agents do every 100 ms, carrying the signals due
/// by then (a shell exec each, which the default rules flag and the seeded profile knows) among ordinary file reads.
/// Each event's time is the wall-clock time its batch was produced. A consumer reads the enriched topic throughout;
/// latency = time the record was read − its signal's event time, an upper bound of the append time (the reader polls
/// with a 5 ms fetch wait).
/// </para>
/// </summary>
internal static class LatencyBenchmark
{
    const int SlotsPerFlushInterval = 10;
    static readonly TimeSpan Slot = TimeSpan.FromMilliseconds(10);
    static readonly TimeSpan Drain = TimeSpan.FromSeconds(15);

    /// <summary>What to measure; see the command line of <c>wp-streams latency-bench</c>.</summary>
    public sealed record Options(double Seconds, double WarmUpSeconds, IReadOnlyList<int> Rates, int Containers, int Images,
        IReadOnlyList<(string Name, string Value)> ChildEnvironment);

    /// <summary>What one rate produced and what came back.</summary>
    sealed class Run(int index, int rate)
    {
        public int Index { get; } = index;
        public int Rate { get; } = rate;
        public long Produced;
        public long ProducedBatches;
        public long StartUs;
        public long EndUs = long.MaxValue;
        public readonly List<double> LatencyMs = [];
        public long ReceivedWhileProducing;
        public long Received;
        public TimeSpan StreamsCpu;
        public TimeSpan Wall;
    }

    public static async Task<int> RunAsync(Options options)
    {
        var work = Directory.CreateTempSubdirectory("wp-latency-");
        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Topics = TopicLayout.Pipeline });
        broker.CreateTopic("wp.falco", Topics.DefaultPartitions);
        using var control = BrokerControlServer.Start(0, broker);
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        var containers = Enumerable.Range(0, options.Containers)
            .Select(i => new ContainerRef($"lat-{i:D4}", $"lat-app-{i % options.Images}", "1.0"))
            .ToArray();

        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            // The agent's producer settings (KafkaEventPublisher).
            BootstrapServers = broker.BootstrapServers,
            EnableIdempotence = true,
            CompressionType = CompressionType.Lz4,
            LingerMs = 5,
        }).Build();
        SeedProfiles(producer, codecs, containers);

        var httpPort = FreePort();
        var streams = StartStreams(broker.BootstrapServers, control.Port, httpPort, work.FullName, options.ChildEnvironment);
        try
        {
            await WaitHealthyAsync(streams, httpPort, work.FullName);
            var runs = new List<Run>();
            using var stop = new CancellationTokenSource();
            var reader = Task.Factory.StartNew(() => Read(broker.BootstrapServers, codecs, runs, stop.Token), TaskCreationOptions.LongRunning);

            // Warm-up (not reported): JIT tiers, first fetches, topic metadata of every output.
            var warmUp = NewRun(runs, -1, 1000);
            Produce(producer, codecs, containers, warmUp, TimeSpan.FromSeconds(options.WarmUpSeconds), streams);
            await Task.Delay(TimeSpan.FromSeconds(2));

            for (var i = 0; i < options.Rates.Count; i++)
            {
                var run = NewRun(runs, i, options.Rates[i]);
                Console.WriteLine($"rate {run.Rate:N0} signals/s for {options.Seconds:0.#} s …");
                Produce(producer, codecs, containers, run, TimeSpan.FromSeconds(options.Seconds), streams);
                var deadline = DateTime.UtcNow + Drain;
                while (Interlocked.Read(ref run.Received) < run.Produced && DateTime.UtcNow < deadline && !streams.HasExited)
                {
                    await Task.Delay(50);
                }

                if (streams.HasExited) throw new InvalidOperationException($"wp-streams exited with {streams.ExitCode}: {LogTail(work.FullName)}");
                Report(run);
            }

            await stop.CancelAsync();
            await reader;
            Console.WriteLine();
            Console.WriteLine($"{options.Containers} containers of {options.Images} images, batches every 100 ms per container " +
                              $"(a tenth of them every 10 ms), {options.Seconds:0.#} s per rate after a {options.WarmUpSeconds:0.#} s warm-up; " +
                              $"wp-streams {Environment.ProcessorCount} CPUs, defaults (all jobs)");
            Console.WriteLine("rate (signals/s) | batches/s | signals | read while producing | p50 ms | p99 ms | max ms | lost | wp-streams CPU");
            foreach (var run in runs.Where(r => r.Index >= 0)) Console.WriteLine(Row(run));
            return 0;
        }
        finally
        {
            Stop(streams);
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// <c>latency-bench --agent-flush --bootstrap HOST:PORT [--seconds N]</c>: the agent's side, from a live sensor (bench/agent/flush-latency.sh
    /// runs the agent and the load): reads <c>wp.events.raw</c> from now on for N seconds and reports, over every event,
    /// the time from the kernel event to its batch being produced (the record's timestamp, which librdkafka stamps when the
    /// agent hands the batch over; millisecond resolution).
    /// </summary>
    public static int AgentFlush(string bootstrap, TimeSpan duration)
    {
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "flush-bench-" + Guid.NewGuid().ToString("N")[..8],
            AutoOffsetReset = AutoOffsetReset.Latest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(PipelineTopics.RawEvents.Name);
        var waitsMs = new List<double>();
        var oldestMs = new List<double>();
        long batches = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { IsPartitionEOF: false } record) continue;
            var producedUs = record.Message.Timestamp.UnixTimestampMs * 1000;
            var batch = codecs.Batches.Deserialize(record.Message.Value);
            batches++;
            // Events the agent read from /proc when a container appeared are as old as the process: not flush latency.
            var live = batch.Events.Where(e => !e.Rescan && e.Kind != EventKind.ContainerExit).Select(e => (producedUs - e.TimestampUs) / 1000.0).ToList();
            waitsMs.AddRange(live);
            if (live.Count > 0) oldestMs.Add(live.Max());
        }

        consumer.Close();
        waitsMs.Sort();
        oldestMs.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{batches:N0} batches, {waitsMs.Count:N0} events in {duration.TotalSeconds:0} s ({waitsMs.Count / duration.TotalSeconds:N0}/s); " +
            $"kernel event -> batch produced: p50 {Percentile(waitsMs, 0.5):N0} ms, p99 {Percentile(waitsMs, 0.99):N0} ms, max {Percentile(waitsMs, 1):N0} ms; " +
            $"oldest event of a batch: p50 {Percentile(oldestMs, 0.5):N0} ms, p99 {Percentile(oldestMs, 0.99):N0} ms"));
        return waitsMs.Count > 0 ? 0 : 1;
    }

    /// <summary>
    /// <c>latency-bench --live --bootstrap HOST:PORT [--seconds N]</c>: kernel event → enriched signal end to end, with a live agent and
    /// <c>wp-streams</c> running (bench/agent/flush-latency.sh starts them and a container that runs shells): reads
    /// <c>wp.signals.enriched</c> from now on for N seconds; latency = time read − the signal's kernel event time.
    /// </summary>
    public static int LiveSignals(string bootstrap, TimeSpan duration)
    {
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "live-bench-" + Guid.NewGuid().ToString("N")[..8],
            AutoOffsetReset = AutoOffsetReset.Latest,
            EnableAutoCommit = false,
            FetchWaitMaxMs = 5,
        }).Build();
        consumer.Subscribe(PipelineTopics.EnrichedSignals.Name);
        var latencyMs = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { IsPartitionEOF: false } record) continue;
            var readUs = NowUs();
            latencyMs.Add((readUs - codecs.EnrichedSignals.Deserialize(record.Message.Value).Signal.TimestampUs) / 1000.0);
        }

        consumer.Close();
        latencyMs.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{latencyMs.Count:N0} enriched signals in {duration.TotalSeconds:0} s ({latencyMs.Count / duration.TotalSeconds:N0}/s); kernel event -> " +
            $"enriched signal read: p50 {Percentile(latencyMs, 0.5):N0} ms, p99 {Percentile(latencyMs, 0.99):N0} ms, max {Percentile(latencyMs, 1):N0} ms"));
        return latencyMs.Count > 0 ? 0 : 1;
    }

    /// <summary>The q-quantile of sorted values (nearest rank); NaN for none.</summary>
    static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    static Run NewRun(List<Run> runs, int index, int rate)
    {
        var run = new Run(index, rate);
        lock (runs) runs.Add(run);
        return run;
    }

    static void Produce(IProducer<string, byte[]> producer, PipelineCodecs codecs, ContainerRef[] containers, Run run,
        TimeSpan duration, Process streams)
    {
        var perSlot = Math.Max(1, containers.Length / SlotsPerFlushInterval);
        streams.Refresh();
        var cpu0 = streams.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        run.StartUs = NowUs();
        var slot = 0L;
        var pid = 1000;
        var sequence = 0L;
        while (clock.Elapsed < duration)
        {
            var due = (long)(run.Rate * clock.Elapsed.TotalSeconds) - run.Produced;
            if (due > 0)
            {
                // This slot's containers share the signals due, as agents flushing every 100 ms would.
                var first = (int)(slot % SlotsPerFlushInterval) * perSlot;
                var batches = (int)Math.Min(due, perSlot);
                for (var b = 0; b < batches; b++)
                {
                    var signals = (int)(due / batches + (b < due % batches ? 1 : 0));
                    var container = containers[(first + b) % containers.Length];
                    var nowUs = NowUs();
                    var events = new List<RawEvent>(signals * 2 + 4);
                    for (var s = 0; s < signals; s++)
                    {
                        pid = pid >= 30_000 ? 1000 : pid + 1;
                        events.Add(new RawEvent { Kind = EventKind.Exec, TimestampUs = nowUs, Pid = pid, Comm = "sh", ExecutablePath = "/bin/sh", Args = ["sh", "-c", "id"] });
                        events.Add(new RawEvent { Kind = EventKind.Exit, TimestampUs = nowUs, Pid = pid, Comm = "sh" });
                    }

                    for (var r = 0; r < 4; r++)
                    {
                        events.Add(new RawEvent { Kind = EventKind.Open, TimestampUs = nowUs, Pid = 1, Comm = "app", FilePath = $"/srv/app/static/{r}.css" });
                    }

                    var batch = new RawEventBatch
                    {
                        Container = container, HostName = "bench", AgentId = "bench", Sequence = ++sequence,
                        Profiling = (first + b) % containers.Length < 5, Events = events,
                    };
                    producer.Produce(PipelineTopics.RawEvents.Name, new Message<string, byte[]>
                    {
                        Key = container.Id, Value = codecs.Batches.Serialize(batch),
                        Timestamp = new Timestamp(nowUs / 1000, TimestampType.CreateTime),
                    });
                    run.Produced += signals;
                    run.ProducedBatches++;
                }
            }

            slot++;
            var next = Slot * slot;
            if (next > clock.Elapsed) Thread.Sleep(next - clock.Elapsed);
        }

        Volatile.Write(ref run.EndUs, NowUs());
        run.Wall = clock.Elapsed;
        streams.Refresh();
        run.StreamsCpu = streams.TotalProcessorTime - cpu0;
        producer.Flush();
    }

    static void Read(string bootstrap, PipelineCodecs codecs, List<Run> runs, CancellationToken stop)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "latency-bench-" + Guid.NewGuid().ToString("N")[..8],
            AutoOffsetReset = AutoOffsetReset.Latest,
            EnableAutoCommit = false,
            // The local broker holds an empty fetch for the whole fetch wait; keep it short so a record is read when appended.
            FetchWaitMaxMs = 5,
        }).Build();
        consumer.Subscribe(PipelineTopics.EnrichedSignals.Name);
        while (!stop.IsCancellationRequested)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is null || record.IsPartitionEOF) continue;
            var readUs = NowUs();
            var enriched = codecs.EnrichedSignals.Deserialize(record.Message.Value);
            Run? run;
            lock (runs) run = runs.LastOrDefault(r => enriched.Signal.TimestampUs >= r.StartUs);
            if (run is null) continue;
            lock (run.LatencyMs) run.LatencyMs.Add((readUs - enriched.Signal.TimestampUs) / 1000.0);
            Interlocked.Increment(ref run.Received);
            if (readUs <= Volatile.Read(ref run.EndUs)) Interlocked.Increment(ref run.ReceivedWhileProducing);
        }
    }

    static void Report(Run run) => Console.WriteLine(Row(run));

    static string Row(Run run)
    {
        var cpu = string.Create(CultureInfo.InvariantCulture, $"{run.StreamsCpu.TotalSeconds / run.Wall.TotalSeconds,8:P0} of a core");
        if (run.Produced == 0) return $"{"0 (idle)",16} | {"",9} | {"",7} | {"",20} | {"",6} | {"",6} | {"",6} | {"",4} | {cpu}";
        List<double> sorted;
        lock (run.LatencyMs) sorted = [.. run.LatencyMs.Order()];
        return string.Create(CultureInfo.InvariantCulture,
            $"{run.Rate,16:N0} | {run.ProducedBatches / run.Wall.TotalSeconds,9:N0} | {run.Produced,7:N0} | {(double)run.ReceivedWhileProducing / run.Produced,20:P1} | " +
            $"{Percentile(sorted, 0.50),6:N0} | {Percentile(sorted, 0.99),6:N0} | {Percentile(sorted, 1),6:N0} | {run.Produced - run.Received,4:N0} | {cpu}");
    }

    /// <summary>
    /// A profile per image that already knows the shell exec, as a Stable fleet's would: the signals are enriched with
    /// their node and a suggestion, the enrichment's full path.
    /// </summary>
    static void SeedProfiles(IProducer<string, byte[]> producer, PipelineCodecs codecs, ContainerRef[] containers)
    {
        var windowUs = (long)TimeSpan.FromMinutes(30).TotalMicroseconds;
        var t0 = NowUs() - 100 * windowUs;
        foreach (var image in containers.GroupBy(c => c.ProfileKey!.Value))
        {
            var profile = new ProfileAggregate(image.Key);
            var i = 0;
            foreach (var container in image.Take(60).Concat(image).Take(60))
            {
                var start = t0 + i++ * windowUs;
                var builder = new SnapshotBuilder(container, "bench", start, start + windowUs);
                builder.Add(new RawEvent { Kind = EventKind.Exec, TimestampUs = start + 1, Pid = 1000, Comm = "sh", ExecutablePath = "/bin/sh", Args = ["sh", "-c", "id"] });
                builder.Add(new RawEvent { Kind = EventKind.Exit, TimestampUs = start + 2, Pid = 1000, Comm = "sh" });
                profile.Merge(builder.Build(), start + windowUs);
            }

            producer.Produce(PipelineTopics.Profiles.Name, new Message<string, byte[]> { Key = image.Key.ToString(), Value = codecs.Profiles.Serialize(profile.ToProfile()) });
        }

        producer.Flush();
    }

    static Process StartStreams(string bootstrap, int controlPort, int httpPort, string work, IReadOnlyList<(string, string)> childEnvironment)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(typeof(LatencyBenchmark).Assembly.Location);
        start.Environment["WP_Kafka__BootstrapServers"] = bootstrap;
        start.Environment["WP_Kafka__LocalBrokerControlPort"] = controlPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["WP_Streams__ApplicationId"] = "wp-latency-" + Guid.NewGuid().ToString("N")[..8];
        start.Environment["WP_Streams__StateDir"] = Path.Combine(work, "state");
        start.Environment["WP_Http__Port"] = httpPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["WP_CONFIG"] = Path.Combine(work, "none.json");
        File.WriteAllText(start.Environment["WP_CONFIG"]!, "{}");
        foreach (var (name, value) in childEnvironment) start.Environment[name] = value;
        var log = new StreamWriter(Path.Combine(work, "wp-streams.log")) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    static async Task WaitHealthyAsync(Process streams, int httpPort, string work)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            if (streams.HasExited) throw new InvalidOperationException($"wp-streams exited with {streams.ExitCode}: {LogTail(work)}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("wp-streams did not become healthy within 2 minutes.");
            try
            {
                if ((await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/healthz"))).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }
    }

    // Its state directory is thrown away with the broker, so there is nothing to close cleanly.
    // The work directory goes with the run, so a failure carries the child's last words itself.
    static string LogTail(string work)
    {
        var lines = File.ReadAllLines(Path.Combine(work, "wp-streams.log"));
        return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - 20)));
    }

    static void Stop(Process streams)
    {
        if (!streams.HasExited) streams.Kill(entireProcessTree: true);
        streams.WaitForExit();
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static long NowUs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
