using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Prometheus;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Kafka.Streams;
using WorkloadProfiles.Streams;
using WorkloadProfiles.Streams.Drift;
using WorkloadProfiles.Streams.Host;
using WorkloadProfiles.Streams.Plumbing;

// wp-streams: runs the selected stream jobs until SIGTERM or Ctrl-C, then closes the stream (committing what it
// processed) and exits 0. Exit 2 on bad configuration, 1 when the stream fails.
if (args.Length > 0 && args[0] == "--bench")
{
    return await PipelineBenchmark.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100,
        args.Length > 3 ? Enum.Parse<StreamJobs>(args[3], ignoreCase: true) : StreamJobs.Snapshots | StreamJobs.Detection);
}

var configuration = BuildConfiguration(args);
StreamsHostSettings settings;
StreamsJobOptions jobs;
try
{
    settings = StreamsHostSettings.From(configuration);
    jobs = settings.ToJobOptions();
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
{
    await Console.Error.WriteLineAsync($"wp-streams: invalid configuration: {e.Message}");
    return 2;
}

using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information)
    .AddFilter("Streamiz", LogLevel.Warning));
var log = loggerFactory.CreateLogger("wp-streams");

using var avro = new AvroCodecs(configuration.GetSection(AvroCodecOptions.SectionName).Get<AvroCodecOptions>() ?? AvroCodecOptions.Default);
var metrics = new StreamsMetrics(Metrics.DefaultRegistry);
var pipeline = new PipelineTopology(jobs, PipelineCodecs.From(avro), metrics, loggerFactory);

var config = new StreamConfig<StringSerDes, ByteArraySerDes>
{
    ApplicationId = settings.ApplicationId,
    BootstrapServers = settings.BootstrapServers,
    StateDir = settings.StateDir,
    NumStreamThreads = settings.Threads,
    CommitIntervalMs = settings.CommitIntervalMs,
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

using var stop = new CancellationTokenSource();

// Drift judges events against the watched profiles: load them before the first event is processed.
Task following = Task.CompletedTask;
if (pipeline.DriftEnabled)
{
    var follower = new DriftBaselineFollower(settings.BootstrapServers, PipelineCodecs.From(avro).Profiles, pipeline.Baselines, metrics,
        loggerFactory.CreateLogger("wp-streams.drift"));
    following = follower.RunAsync(stop.Token);
    try
    {
        await follower.CaughtUp.WaitAsync(TimeSpan.FromSeconds(Math.Max(1, settings.DriftLoadTimeoutSeconds)));
    }
    catch (Exception e) when (e is TimeoutException or Confluent.Kafka.KafkaException)
    {
        await Console.Error.WriteLineAsync($"wp-streams: could not load the drift baselines from {PipelineTopics.Profiles.Name}: {e.Message}");
        await stop.CancelAsync();
        return 1;
    }
}

var state = KafkaStream.State.CREATED;
using var stream = localTopics is null
    ? new KafkaStream(pipeline.Build(), config)
    : new KafkaStream(pipeline.Build(), config, new LocalBrokerKafkaSupplier(config, localTopics));
var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
stream.StateChanged += (_, now) =>
{
    state = now;
    log.LogInformation("stream state {State}", now);
    if (now == KafkaStream.State.ERROR)
    {
        failed.TrySetResult();
    }
};

Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stop.Cancel();
});

await using var http = new HealthEndpoint(settings.HttpAddress, settings.HttpPort,
    () => (state == KafkaStream.State.RUNNING || state == KafkaStream.State.REBALANCING, state.ToString()), Metrics.DefaultRegistry);

log.LogInformation("wp-streams starting jobs {Jobs} against {Bootstrap} (application {Application}); health on http://{Address}:{Port}/healthz",
    jobs.Jobs, settings.BootstrapServers, settings.ApplicationId, settings.HttpAddress, settings.HttpPort);
// No token: Streamiz disposes the stream from a cancellation callback, racing the Dispose below (seen as an abort on SIGTERM).
await stream.StartAsync();
Console.WriteLine($"wp-streams started jobs={jobs.Jobs} http={settings.HttpAddress}:{settings.HttpPort}");

using var lag = new ConsumerLagProbe(settings.BootstrapServers, settings.ApplicationId, pipeline.GroupTopics, metrics, log);
var measuring = lag.RunAsync(TimeSpan.FromSeconds(Math.Max(1, settings.LagIntervalSeconds)), stop.Token);

await Task.WhenAny(Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default), failed.Task);
await stop.CancelAsync();
await measuring.ContinueWith(_ => { }, TaskScheduler.Default);
await following.ContinueWith(_ => { }, TaskScheduler.Default);
var exitCode = failed.Task.IsCompleted ? 1 : 0;
log.LogInformation("wp-streams stopping");
stream.Dispose();
return exitCode;

static IConfiguration BuildConfiguration(string[] args)
{
    var path = ConfigPath(args) ?? Environment.GetEnvironmentVariable("WP_CONFIG") ?? "workloadprofiles.json";
    return new ConfigurationBuilder()
        .AddJsonFile(Path.GetFullPath(path), optional: ConfigPath(args) is null && Environment.GetEnvironmentVariable("WP_CONFIG") is null)
        .AddEnvironmentVariables("WP_")
        .AddCommandLine(args.Where((a, i) => a != "--config" && (i == 0 || args[i - 1] != "--config")).ToArray())
        .Build();
}

static string? ConfigPath(string[] args)
{
    var at = Array.IndexOf(args, "--config");
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
