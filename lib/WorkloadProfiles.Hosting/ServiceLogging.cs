using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace WorkloadProfiles.Hosting;

/// <summary>The services' console logging: one line per entry, timestamps, repeated warnings and errors collapsed.</summary>
public static class ServiceLogging
{
    /// <summary>How long a repeated warning is counted before its count is written.</summary>
    public static readonly TimeSpan CollapseWindow = TimeSpan.FromSeconds(10);

    /// <param name="minimum">Least level written.</param>
    /// <param name="configure">Further filters (e.g. Streamiz at Warning).</param>
    public static ILoggerFactory Create(LogLevel minimum = LogLevel.Information, Action<ILoggingBuilder>? configure = null) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(minimum);
            builder.AddProvider(new RepeatCollapsingLoggerProvider(
                new ConsoleLoggerProvider(new StaticOptions<ConsoleLoggerOptions>(new ConsoleLoggerOptions { FormatterName = ConsoleFormatterNames.Simple }),
                    [new SimpleFormatter()]),
                TimeProvider.System, CollapseWindow));
            configure?.Invoke(builder);
        });

    sealed class StaticOptions<T>(T value) : Microsoft.Extensions.Options.IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }

    /// <summary>The simple console format on one line with a time, as the services logged before.</summary>
    sealed class SimpleFormatter() : ConsoleFormatter(ConsoleFormatterNames.Simple)
    {
        public override void Write<TState>(in Microsoft.Extensions.Logging.Abstractions.LogEntry<TState> logEntry,
            Microsoft.Extensions.Logging.IExternalScopeProvider? scopeProvider, TextWriter textWriter)
        {
            var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
            textWriter.Write(DateTime.Now.ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture));
            textWriter.Write(Level(logEntry.LogLevel));
            textWriter.Write(": ");
            textWriter.Write(logEntry.Category);
            textWriter.Write(' ');
            textWriter.WriteLine(message.ReplaceLineEndings(" "));
            if (logEntry.Exception is { } exception) textWriter.WriteLine(exception.ToString());
        }

        static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
