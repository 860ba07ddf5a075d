using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Sink;

// wp-sink [run|bench] [--config path] [--Section:Key value ...]
//   run    consume the pipeline topics into ClickHouse until Ctrl+C (default)
//   bench  sink rows/s against a raw InsertBinaryAsync baseline, in one run (in-process broker, local ClickHouse)
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
var configuration = SinkConfiguration.Load(rest);
using var loggerFactory = LoggerFactory.Create(builder => builder
    .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
    .SetMinimumLevel(LogLevel.Information));
// Not disposed: ProcessExit may fire after Main returns, and cancelling a disposed source throws.
var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
// SIGTERM (a service manager's stop): finish the batch, leave the group and exit 0 instead of being cut off with 143.
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

var clickHouseOptions = configuration.GetSection(ClickHouseOptions.SectionName).Get<ClickHouseOptions>() ?? new ClickHouseOptions();
var sinkOptions = configuration.GetSection(SinkOptions.SectionName).Get<SinkOptions>() ?? new SinkOptions();
var avroOptions = configuration.GetSection(AvroCodecOptions.SectionName).Get<AvroCodecOptions>() ?? AvroCodecOptions.Default;

switch (command)
{
    case "run":
    {
        var kafka = KafkaOptions.From(configuration);
        using var codecs = new AvroCodecs(avroOptions);
        using var database = new ClickHouseDatabase(clickHouseOptions);
        var deadLetters = DeadLetterBound.Of(configuration.GetValue("DeadLetter:MaxBytes", DeadLetterBound.DefaultMaxBytes));
        using var sink = new ClickHouseSink(kafka, database, sinkOptions, codecs, loggerFactory, deadLetters);
        var logger = loggerFactory.CreateLogger("wp-sink");
        using var exporter = sinkOptions.MetricsPort > 0 ? new SinkMetricsExporter(sink.Metrics, sinkOptions.MetricsAddress, sinkOptions.MetricsPort) : null;
        if (exporter is not null) logger.LogInformation("Metrics on http://{Address}:{Port}/metrics", sinkOptions.MetricsAddress, sinkOptions.MetricsPort);
        var running = sink.RunAsync(stop.Token);
        while (!running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(10)));
            logger.LogInformation("{Metrics}", sink.Metrics);
        }
        await running;
        return 0;
    }
    case "bench":
        return await SinkBenchmark.RunAsync(clickHouseOptions, configuration, loggerFactory, stop.Token);
    default:
        Console.Error.WriteLine($"unknown command '{command}'; use run or bench");
        return 2;
}
