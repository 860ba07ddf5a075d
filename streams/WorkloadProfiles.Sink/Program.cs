using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Hosting;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Sink;

// wp-sink [run|bench]: run consumes the pipeline topics into ClickHouse until SIGINT/SIGTERM (the default); bench
// measures the sink's rows/s against a raw InsertBinaryAsync baseline. Exit codes (README "Exit codes"): 1 failed,
// 2 bad configuration, 3 Kafka or ClickHouse unreachable at start, or the metrics port in use.
var command = new ServiceCommand("wp-sink",
    "The WorkloadProfiles ClickHouse sink: consumes snapshots, profiles, enriched signals, suppressions and containers into " +
    "ClickHouse. Configuration keys can be given as --Section:Key value (e.g. --Sink:MaxBatchRecords 1000).");
var run = new Command("run", "Consume the pipeline topics into ClickHouse until SIGINT/SIGTERM (the default)");
command.SetAction(command.Root, (_, configuration, cancellation) => RunAsync(configuration, cancellation));
command.SetAction(run, (_, configuration, cancellation) => RunAsync(configuration, cancellation));
var bench = new Command("bench", "Sink rows/s against a raw InsertBinaryAsync baseline, in one run (in-process broker, local ClickHouse)");
command.SetAction(bench, async (_, configuration, cancellation) =>
{
    using var stop = new StopSignal(cancellation);
    using var loggerFactory = ServiceLogging.Create();
    return await SinkBenchmark.RunAsync(Options<ClickHouseOptions>(configuration, ClickHouseOptions.SectionName), configuration, loggerFactory, stop.Token);
});
command.Root.Add(run);
command.Root.Add(bench);
return await command.InvokeAsync(args);

static async Task<int> RunAsync(IConfiguration configuration, CancellationToken cancellation)
{
    var clickHouseOptions = Options<ClickHouseOptions>(configuration, ClickHouseOptions.SectionName);
    var sinkOptions = Options<SinkOptions>(configuration, SinkOptions.SectionName);
    var avroOptions = Options<AvroCodecOptions>(configuration, AvroCodecOptions.SectionName);
    KafkaOptions kafka;
    try
    {
        sinkOptions.Validate();
        kafka = KafkaOptions.From(configuration);
    }
    catch (InvalidOperationException e)
    {
        throw new ConfigurationException($"invalid configuration: {e.Message}", e);
    }

    using var stop = new StopSignal(cancellation);
    using var loggerFactory = ServiceLogging.Create();
    var logger = loggerFactory.CreateLogger("wp-sink");
    using var database = new ClickHouseDatabase(clickHouseOptions);

    var timeout = TimeSpan.FromSeconds(Math.Max(1, kafka.StartupTimeoutSeconds));
    if (await BrokerReachability.ProbeAsync(kafka.BootstrapServers, kafka.Client, timeout, stop.Token) is { } noKafka)
    {
        throw new PrerequisiteException(BrokerReachability.Describe(kafka.BootstrapServers, timeout, noKafka));
    }

    var clickHouseTimeout = TimeSpan.FromSeconds(Math.Max(1, clickHouseOptions.StartupTimeoutSeconds));
    if (await database.ProbeAsync(clickHouseTimeout, stop.Token) is { } noClickHouse)
    {
        throw new PrerequisiteException(ClickHouseOptions.Unreachable(database.Endpoint, clickHouseTimeout, noClickHouse));
    }

    using var codecs = new AvroCodecs(avroOptions);
    var deadLetters = DeadLetterBound.Of(configuration.GetValue("DeadLetter:MaxBytes", DeadLetterBound.DefaultMaxBytes));
    using var sink = new ClickHouseSink(kafka, database, sinkOptions, codecs, loggerFactory, deadLetters);
    await using var endpoint = await SinkPrometheus.StartAsync(sink, sinkOptions, stop.Token);
    var running = sink.RunAsync(stop.Token);
    var announced = false;
    while (!running.IsCompleted)
    {
        await Task.WhenAny(running, Task.Delay(announced ? TimeSpan.FromSeconds(10) : TimeSpan.FromMilliseconds(100), CancellationToken.None));
        if (!announced && sink.Consuming)
        {
            // Ready only once the migrations are done and the consumer is in its group.
            announced = true;
            Console.WriteLine($"wp-sink ready database={database.Name} topics={string.Join(',', sink.Topics)}" +
                              (endpoint is null ? "" : $" health={endpoint.Url}/healthz"));
        }
        else if (announced)
        {
            logger.LogInformation("{Metrics}", sink.Metrics);
        }
    }

    await running;
    return ExitCodes.Ok;
}

static T Options<T>(IConfiguration configuration, string section) where T : new() => configuration.GetSection(section).Get<T>() ?? new T();
