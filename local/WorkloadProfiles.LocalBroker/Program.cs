using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.LocalBroker;

var portOption = new Option<int?>("--port") { Description = $"Loopback port for Kafka clients (default {BrokerOptions.DefaultPort}; WP_Broker__Port)" };
var controlPortOption = new Option<int?>("--control-port") { Description = "Loopback port for topic creation (default: port + 1000; WP_Broker__ControlPort)" };
var configOption = new Option<FileInfo?>("--config") { Description = "JSON configuration file (default: $WP_CONFIG, else ./workloadprofiles.json if present)" };

var root = new RootCommand(
    "Local Kafka-protocol broker (librdkafka's mock cluster) on a fixed loopback port, with every pipeline topic created. " +
    "Records live in memory only, about 5 MiB per partition.")
{
    portOption,
    controlPortOption,
    configOption,
};

root.SetAction(async (parse, cancellation) =>
{
    BrokerOptions options;
    try
    {
        options = LoadOptions(parse.GetValue(configOption));
        options.Port = parse.GetValue(portOption) ?? options.Port;
        options.ControlPort = parse.GetValue(controlPortOption) ?? options.ControlPort;
        options.Validate();
    }
    catch (Exception e) when (e is ArgumentException or InvalidOperationException or FileNotFoundException or InvalidDataException)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message}");
        return 2;
    }

    // Listen before announcing readiness, so a signal sent right after the ready line still stops cleanly.
    using var stop = new StopSignal(cancellation);
    using var loggers = LoggerFactory.Create(logging => logging
        .AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; console.ColorBehavior = LoggerColorBehavior.Disabled; })
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
    var logger = loggers.CreateLogger("WorkloadProfiles.LocalBroker");

    LocalKafkaBroker broker;
    BrokerControlServer control;
    try
    {
        broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Port = options.Port, GroupInitialRebalanceDelayMs = options.GroupInitialRebalanceDelayMs }, logger);
    }
    catch (InvalidOperationException e)
    {
        await Console.Error.WriteLineAsync($"error: {e.Message} Choose another port with --port or WP_Broker__Port.");
        return 1;
    }

    using (broker)
    {
        try
        {
            control = BrokerControlServer.Start(options.EffectiveControlPort, broker, logger);
        }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message} Choose another control port with --control-port or WP_Broker__ControlPort.");
            return 1;
        }

        using (control)
        {
            // One machine-readable line on stdout once clients can connect; logs go to stderr.
            Console.WriteLine($"ready bootstrap={broker.BootstrapServers} control=127.0.0.1:{control.Port}");
            await stop.WaitAsync();
            logger.LogInformation("Stopping");
        }
    }

    Console.WriteLine("stopped");
    return 0;
});

return await root.Parse(args).InvokeAsync();

// Defaults, then the JSON file, then WP_-prefixed environment variables; command-line options override all three.
static BrokerOptions LoadOptions(FileInfo? explicitFile)
{
    var path = explicitFile?.FullName ?? (Environment.GetEnvironmentVariable("WP_CONFIG") is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
    var required = path is not null;
    path ??= Path.Combine(Environment.CurrentDirectory, "workloadprofiles.json");
    if (required && !File.Exists(path))
    {
        throw new FileNotFoundException($"Configuration file {path} does not exist.");
    }

    var configuration = new ConfigurationBuilder()
        .AddJsonFile(path, optional: !required)
        .AddEnvironmentVariables("WP_")
        .Build();
    return configuration.GetSection(BrokerOptions.Section).Get<BrokerOptions>() ?? new BrokerOptions();
}
