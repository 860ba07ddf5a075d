using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace WorkloadProfiles.Kafka;

/// <summary>
/// Routes a Confluent.Kafka client's librdkafka log lines into <see cref="ILogger"/> instead of raw stderr
/// (<c>%3|…|FAIL|rdkafka#consumer-9|…</c>), so the process's logging — which collapses repeats — sees them.
/// </summary>
public static class KafkaClientLogging
{
    /// <summary>librdkafka's syslog level as a log level.</summary>
    public static LogLevel LevelOf(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    public static ConsumerBuilder<TKey, TValue> LogTo<TKey, TValue>(this ConsumerBuilder<TKey, TValue> builder, ILogger logger) =>
        builder.SetLogHandler((_, message) => Log(logger, message));

    public static ProducerBuilder<TKey, TValue> LogTo<TKey, TValue>(this ProducerBuilder<TKey, TValue> builder, ILogger logger) =>
        builder.SetLogHandler((_, message) => Log(logger, message));

    static void Log(ILogger logger, LogMessage message) =>
        logger.Log(LevelOf(message.Level), "librdkafka {Client} {Facility}: {Message}", message.Name, message.Facility, message.Message);
}
