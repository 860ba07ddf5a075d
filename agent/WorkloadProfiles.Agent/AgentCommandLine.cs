using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Prometheus;
using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Agent.Recording;
using WorkloadProfiles.Agent.Scheduling;
using WorkloadProfiles.Agent.Sensor;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Hosting;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Agent;

/// <summary>
/// <c>wp-agent [run]</c> profiles containers and publishes to Kafka; <c>wp-agent record FILE</c> writes the same
/// batches to an Avro recording; <c>wp-agent replay FILE [--speed N]</c> publishes a recording to Kafka.
/// Configuration: JSON file (--config, WP_CONFIG, default ./workloadprofiles.json) then WP_* environment variables.
/// </summary>
internal static class AgentCommandLine
{
    /// <summary>How long a stop signal waits for the agent to flush and close before the process exits anyway.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(25);

    public static async Task<int> RunAsync(string[] args)
    {
        var config = new Option<string?>("--config") { Description = "JSON configuration file (default: WP_CONFIG or ./workloadprofiles.json)" };
        var file = new Argument<FileInfo>("file") { Description = "Avro recording file" };
        var duration = new Option<TimeSpan?>("--duration") { Description = "Stop recording after this long (default: until Ctrl-C)" };
        var speed = ServiceCommand.NumberOption<double>("--speed", "Replay speed: 1 = real time, 10 = ten times faster, 0 = as fast as possible (default)");
        var shift = new Option<bool>("--shift-to-now") { Description = "Move timestamps so the recording starts now" };

        var run = new Command("run", "Profile containers on this host and publish to Kafka (default)") { config };
        run.SetAction((result, token) => RunAgentAsync(result.GetValue(config), recordTo: null, duration: null, token));
        var record = new Command("record", "Profile containers and write the events to an Avro recording instead of Kafka") { config, file, duration };
        record.SetAction((result, token) => RunAgentAsync(result.GetValue(config), result.GetValue(file)!.FullName, result.GetValue(duration), token));
        var replay = new Command("replay", "Publish a recording to Kafka") { config, file, speed, shift };
        replay.SetAction((result, token) => ReplayAsync(result.GetValue(config), result.GetValue(file)!.FullName, result.GetValue(speed) ?? 0, result.GetValue(shift), token));

        var root = new RootCommand("WorkloadProfiles host agent: eBPF container activity → Kafka") { config, run, record, replay };
        root.SetAction((result, token) => RunAgentAsync(result.GetValue(config), recordTo: null, duration: null, token));
        // Ctrl-C / SIGTERM cancel the token; the agent then drains its batches and closes the publisher or recording, which
        // can take longer than System.CommandLine's default 2 s (after which it would exit with the recording truncated).
        return await ServiceCommand.InvokeAsync("wp-agent", root, args, commandLineHandlesSignals: true, terminationTimeout: ShutdownTimeout);
    }

    private static IConfiguration LoadConfiguration(string? path)
    {
        path ??= Environment.GetEnvironmentVariable("WP_CONFIG");
        // A file that is named (--config, WP_CONFIG) must exist; the default one is optional.
        if (path is not null && !File.Exists(path)) throw new ConfigurationException($"configuration file {Path.GetFullPath(path)} does not exist (--config / WP_CONFIG).");
        return new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(path ?? Path.Combine(Environment.CurrentDirectory, "workloadprofiles.json")), optional: path is null)
            .AddEnvironmentVariables("WP_")
            .Build();
    }

    private static ILoggerFactory CreateLoggers() =>
        LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; }).SetMinimumLevel(LogLevel.Information));

    private static async Task<int> RunAgentAsync(string? configPath, string? recordTo, TimeSpan? duration, CancellationToken cancellationToken)
    {
        var configuration = LoadConfiguration(configPath);
        var options = configuration.GetSection(AgentOptions.Section).Get<AgentOptions>() ?? new AgentOptions();
        using var loggers = CreateLoggers();
        var logger = loggers.CreateLogger("wp-agent");
        var metrics = new AgentMetrics();
        var statuses = new ProfileStatusTable();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (duration is { } d) stop.CancelAfter(d);

        KafkaOptions? kafka = null;
        AvroCodecs? codecs = null;
        IEventPublisher publisher;
        if (recordTo is not null)
        {
            publisher = new RecordingPublisher(recordTo);
        }
        else
        {
            kafka = KafkaOptions.From(configuration);
            codecs = new AvroCodecs(configuration.GetSection(AvroCodecOptions.SectionName).Get<AvroCodecOptions>());
            publisher = new KafkaEventPublisher(kafka, codecs, metrics, loggers.CreateLogger("wp-agent.kafka"));
        }

        MetricServer? metricServer = null;
        try
        {
            if (!string.IsNullOrEmpty(options.MetricsListen))
            {
                var (listenHost, port) = SplitListen(options.MetricsListen);
                metricServer = new MetricServer(listenHost, port, registry: metrics.Registry);
                metricServer.Start();
            }
            var followTask = kafka is not null && codecs is not null && options.FollowProfiles
                ? new ProfileStatusFollower(kafka, codecs, statuses, logger).RunAsync(stop.Token)
                : Task.CompletedTask;

            // The kernel first: without BTF or eBPF privilege nothing else matters, and the check is instant (exit 3).
            try
            {
                SensorPrerequisites.Check(options.BtfPath);
            }
            catch (SensorUnavailableException ex)
            {
                logger.LogCritical("{Reason}", ex.Message);
                return 3;
            }

            IContainerRuntime runtime;
            try
            {
                runtime = await ContainerRuntimes.ConnectAsync(options.ContainerRuntimeEndpoint, logger, stop.Token);
            }
            catch (ContainerRuntimeUnavailableException ex)
            {
                logger.LogCritical("{Reason}", ex.Message);
                return 4;
            }
            using var _ = runtime;
            AgentHost host;
            try
            {
                host = AgentHost.Start(options, publisher, runtime, statuses, loggers, metrics: metrics);
            }
            catch (SensorUnavailableException ex)
            {
                logger.LogCritical("{Reason}", ex.Message);
                return 3;
            }
            await using (host)
            {
                logger.LogInformation("Agent running (max {Slots} profiled containers, {Target}); Ctrl-C stops", options.MaxProfiledContainers, recordTo ?? "Kafka");
                try
                {
                    await Task.WhenAny(host.Completion, Task.Delay(Timeout.Infinite, stop.Token));
                }
                catch (OperationCanceledException) { }
                await host.StopAsync();
                await host.Completion;
            }
            await stop.CancelAsync();
            try { await followTask; } catch (OperationCanceledException) { }
            return 0;
        }
        finally
        {
            await publisher.DisposeAsync();
            codecs?.Dispose();
            if (metricServer is not null) await metricServer.StopAsync();
        }
    }

    private static async Task<int> ReplayAsync(string? configPath, string path, double speed, bool shiftToNow, CancellationToken cancellationToken)
    {
        var configuration = LoadConfiguration(configPath);
        using var loggers = CreateLoggers();
        var logger = loggers.CreateLogger("wp-agent");
        using var codecs = new AvroCodecs(configuration.GetSection(AvroCodecOptions.SectionName).Get<AvroCodecOptions>());
        await using var publisher = new KafkaEventPublisher(KafkaOptions.From(configuration), codecs, new AgentMetrics(), loggers.CreateLogger("wp-agent.kafka"));
        var count = await Replayer.ReplayAsync(path, publisher, speed, shiftToNow, TimeProvider.System, cancellationToken);
        logger.LogInformation("Replayed {Count} batches from {Path}", count, path);
        return 0;
    }

    private static (string Host, int Port) SplitListen(string listen)
    {
        var colon = listen.LastIndexOf(':');
        return colon > 0 ? (listen[..colon], int.Parse(listen[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            : ("127.0.0.1", int.Parse(listen, System.Globalization.CultureInfo.InvariantCulture));
    }
}
