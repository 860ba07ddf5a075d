using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using WorkloadProfiles.Hosting;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.LocalBroker;

// The local broker command. Exit codes (README "Exit codes"): 0 stopped by SIGINT/SIGTERM, 2 bad configuration,
// 3 a port is in use.
var command = new ServiceCommand("WorkloadProfiles.LocalBroker",
    "Local Kafka-protocol broker (librdkafka's mock cluster) on a fixed loopback port, with every pipeline topic created. " +
    "Records live in memory only, about 5 MiB per partition.");
var portOption = ServiceCommand.NumberOption<int>("--port", $"Loopback port for Kafka clients (default {BrokerOptions.DefaultPort}; WP_Broker__Port)");
var controlPortOption = ServiceCommand.NumberOption<int>("--control-port", "Loopback port for topic creation (default: port + 1000; WP_Broker__ControlPort)");
command.Root.Add(portOption);
command.Root.Add(controlPortOption);

command.SetAction(command.Root, async (parse, configuration, cancellation) =>
{
    var options = configuration.GetSection(BrokerOptions.Section).Get<BrokerOptions>() ?? new BrokerOptions();
    options.Port = parse.GetValue(portOption) ?? options.Port;
    options.ControlPort = parse.GetValue(controlPortOption) ?? options.ControlPort;
    try
    {
        options.Validate();
    }
    catch (ArgumentException e)
    {
        throw new ConfigurationException(e.Message, e);
    }

    // Listen before announcing readiness, so a signal sent right after the ready line still stops cleanly.
    using var stop = new StopSignal(cancellation);
    using var loggers = LoggerFactory.Create(logging => logging
        .AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; console.ColorBehavior = LoggerColorBehavior.Disabled; })
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
    var logger = loggers.CreateLogger("WorkloadProfiles.LocalBroker");

    LocalKafkaBroker broker;
    try
    {
        broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Port = options.Port, GroupInitialRebalanceDelayMs = options.GroupInitialRebalanceDelayMs }, logger);
    }
    catch (InvalidOperationException e)
    {
        throw new PrerequisiteException($"{e.Message} Choose another port with --port or WP_Broker__Port.", e);
    }

    using (broker)
    {
        BrokerControlServer control;
        try
        {
            control = BrokerControlServer.Start(options.EffectiveControlPort, broker, logger);
        }
        catch (InvalidOperationException e)
        {
            throw new PrerequisiteException($"{e.Message} Choose another control port with --control-port or WP_Broker__ControlPort.", e);
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
    return ExitCodes.Ok;
});

return await command.InvokeAsync(args);
