using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Prometheus;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Hosting;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Kafka.Streams;
using WorkloadProfiles.Operations;
using WorkloadProfiles.Streams.Drift;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Host;

/// <summary>
/// <c>wp-streams</c> run: checks what it needs (configuration and rules, Kafka, the state directory, the HTTP port) before
/// it starts anything, then runs the stream and says "ready" once the stream is running — not before.
/// </summary>
internal static class StreamsService
{
    public static async Task<int> RunAsync(IConfiguration configuration, CancellationToken cancellation)
    {
        StreamsHostSettings settings;
        StreamsJobOptions jobs;
        try
        {
            settings = StreamsHostSettings.From(configuration);
            jobs = settings.ToJobOptions();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new ConfigurationException($"invalid configuration: {e.Message}", e);
        }

        using var stop = new StopSignal(cancellation);
        using var loggerFactory = ServiceLogging.Create(configure: b => b.AddFilter("Streamiz", LogLevel.Warning));
        var log = loggerFactory.CreateLogger("wp-streams");

        using var avro = new AvroCodecs(configuration.GetSection(AvroCodecOptions.SectionName).Get<AvroCodecOptions>() ?? AvroCodecOptions.Default);
        var metrics = new StreamsMetrics(Metrics.DefaultRegistry);
        var pipeline = new PipelineTopology(jobs, PipelineCodecs.From(avro), metrics, loggerFactory);
        Streamiz.Kafka.Net.Stream.Topology topology;
        try
        {
            topology = pipeline.Build();
        }
        catch (RuleLoadException e)
        {
            throw new ConfigurationException($"detection rules: {e.Message}", e);
        }

        EnsureWritable(settings.StateDir);
        var timeout = TimeSpan.FromSeconds(Math.Max(1, settings.StartupTimeoutSeconds));
        if (await BrokerReachability.ProbeAsync(settings.BootstrapServers, null, timeout, stop.Token) is { } unreachable)
        {
            throw new PrerequisiteException(BrokerReachability.Describe(settings.BootstrapServers, timeout, unreachable));
        }

        var config = new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = settings.ApplicationId,
            BootstrapServers = settings.BootstrapServers,
            StateDir = settings.StateDir,
            NumStreamThreads = settings.Threads,
            CommitIntervalMs = settings.CommitIntervalMs,
            PollMs = settings.PollMs,
            MaxTaskIdleMs = settings.MaxTaskIdleMs,
            CompressionType = settings.Compression,
            AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
            Logger = loggerFactory,
            // Every record the jobs produce is bounded by this (JobOutput); records without a timestamp are processed, not fatal.
            MessageMaxBytes = settings.MaxMessageBytes,
            DefaultTimestampExtractor = new RecordTimestamps(),
            // Unreachable while Kafka:MaxMessageBytes is at or below the topics' max.message.bytes; should a broker still refuse a
            // record for its size, the job logs and counts it instead of failing on it after every restart.
            ProductionExceptionHandler = report =>
            {
                if (report.Error.Code is not (Confluent.Kafka.ErrorCode.MsgSizeTooLarge))
                {
                    return ProductionExceptionHandlerResponse.FAIL;
                }

                metrics.Failures.WithLabels("producer", "too-large").Inc();
                log.LogError("the broker refused a {Bytes}-byte record for {Topic} as too large; Kafka:MaxMessageBytes ({Max}) is above the topic's max.message.bytes",
                    report.Message?.Value?.Length ?? 0, report.Topic, settings.MaxMessageBytes);
                return ProductionExceptionHandlerResponse.CONTINUE;
            },
        };

        BrokerControlClient? localTopics = null;
        if (settings.LocalBrokerControlPort > 0)
        {
            // The local broker cannot serve CreateTopics: create the inputs up front and route Streamiz' internal topics to it.
            LocalStreamsDefaults.ApplyTo(config);
            localTopics = new BrokerControlClient(settings.LocalBrokerControlPort);
            foreach (var topic in pipeline.SourceTopics)
            {
                localTopics.CreateTopic(topic, Topics.All.FirstOrDefault(t => t.Name == topic)?.Partitions ?? Topics.DefaultPartitions);
            }
        }

        // Drift judges events against the watched profiles: load them before the first event is processed.
        using var followStop = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var following = Task.CompletedTask;
        if (pipeline.DriftEnabled)
        {
            var follower = new DriftBaselineFollower(settings.BootstrapServers, PipelineCodecs.From(avro).Profiles, pipeline.Baselines, metrics,
                loggerFactory.CreateLogger("wp-streams.drift"));
            following = follower.RunAsync(followStop.Token);
            var loadTimeout = TimeSpan.FromSeconds(Math.Max(1, settings.DriftLoadTimeoutSeconds));
            try
            {
                await follower.CaughtUp.WaitAsync(loadTimeout, stop.Token);
            }
            catch (Exception e) when (e is TimeoutException or Confluent.Kafka.KafkaException)
            {
                await followStop.CancelAsync();
                throw new PrerequisiteException(
                    $"could not load the drift baselines from {PipelineTopics.Profiles.Name} within {loadTimeout.TotalSeconds:0} s (Drift:LoadTimeoutSeconds): {e.Message}", e);
            }
        }

        var state = KafkaStream.State.CREATED;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var http = await OperationsServer.StartAsync(settings.HttpAddress, settings.HttpPort,
            _ => Task.FromResult(state == KafkaStream.State.RUNNING || state == KafkaStream.State.REBALANCING ? Health.Up(state.ToString()) : Health.Down(state.ToString())),
            Metrics.DefaultRegistry, "Http:Address, Http:Port", stop.Token);

        using var stream = localTopics is null
            ? new KafkaStream(topology, config)
            : new KafkaStream(topology, config, new LocalBrokerKafkaSupplier(config, localTopics));
        pipeline.Restoration.Follow(stream);
        stream.StateChanged += (_, now) =>
        {
            state = now;
            log.LogInformation("stream state {State}", now);
            if (now == KafkaStream.State.RUNNING) ready.TrySetResult();
            if (now == KafkaStream.State.ERROR) failed.TrySetResult();
        };

        log.LogInformation("starting jobs {Jobs} against {Bootstrap} (application {Application}); health on {Url}/healthz",
            jobs.Jobs, settings.BootstrapServers, settings.ApplicationId, http.Url);
        // No token: Streamiz disposes the stream from a cancellation callback, racing the Dispose below (seen as an abort on SIGTERM).
        await stream.StartAsync(CancellationToken.None);

        using var lag = new ConsumerLagProbe(settings.BootstrapServers, settings.ApplicationId, pipeline.GroupTopics, metrics, log);
        using var lagStop = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var measuring = lag.RunAsync(TimeSpan.FromSeconds(Math.Max(1, settings.LagIntervalSeconds)), lagStop.Token);

        var stopped = stop.WaitAsync();
        if (await Task.WhenAny(ready.Task, failed.Task, stopped) == ready.Task)
        {
            // The one machine-readable line, only once the stream runs (scripts and wp-local wait for /healthz or this).
            Console.WriteLine($"wp-streams ready jobs={jobs.Jobs} health={http.Url}/healthz");
            await Task.WhenAny(failed.Task, stopped);
        }

        await lagStop.CancelAsync();
        await measuring.ContinueWith(_ => { }, TaskScheduler.Default);
        await followStop.CancelAsync();
        await following.ContinueWith(_ => { }, TaskScheduler.Default);
        log.LogInformation("stopping");
        stream.Dispose();
        if (!failed.Task.IsCompleted) return ExitCodes.Ok;
        Console.Error.WriteLine(ready.Task.IsCompleted
            ? "wp-streams: the stream failed (state ERROR); the log above says why."
            : "wp-streams: the stream failed before it was ready (state ERROR); the log above says why.");
        return ExitCodes.Failed;
    }

    /// <summary>The state stores live here; a directory the process cannot write (a root-owned volume) fails now, clearly.</summary>
    static void EnsureWritable(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new PrerequisiteException(
                $"the state directory {directory} is not writable by this process (uid {Environment.GetEnvironmentVariable("UID") ?? Environment.UserName}): {e.Message} (Streams:StateDir)", e);
        }
    }
}
