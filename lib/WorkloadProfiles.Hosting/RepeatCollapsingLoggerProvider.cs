using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace WorkloadProfiles.Hosting;

/// <summary>
/// Wraps a logger provider so that a warning or error repeated within <see cref="Window"/> is written once, followed by
/// one line with the count when the window closes. Meant for librdkafka, which logs every failed connection attempt of
/// every client (hundreds of lines a minute while a broker is down); messages that differ only in client instance names,
/// numbers or timings count as the same. Information and below pass through untouched.
/// </summary>
public sealed partial class RepeatCollapsingLoggerProvider : ILoggerProvider
{
    readonly ConcurrentDictionary<string, Repeat> _repeats = new(StringComparer.Ordinal);
    readonly ILoggerProvider _inner;
    readonly TimeProvider _clock;
    readonly ITimer _flush;

    /// <param name="inner">The provider that writes.</param>
    /// <param name="clock">Time source (tests use a fake one).</param>
    /// <param name="window">How long repeats are counted before the count is written.</param>
    public RepeatCollapsingLoggerProvider(ILoggerProvider inner, TimeProvider clock, TimeSpan window)
    {
        _inner = inner;
        _clock = clock;
        Window = window;
        // Counts are written when their window closes even if the message never comes back (the broker recovered).
        _flush = clock.CreateTimer(_ => FlushDue(force: false), null, window, window);
    }

    public TimeSpan Window { get; }

    public ILogger CreateLogger(string categoryName)
    {
        return new CollapsingLogger(this, categoryName, _inner.CreateLogger(categoryName));
    }

    public void Dispose()
    {
        _flush.Dispose();
        FlushDue(force: true);
        _inner.Dispose();
    }

    void FlushDue(bool force)
    {
        var now = _clock.GetUtcNow();
        foreach (var (_, repeat) in _repeats) repeat.Flush(now, force);
    }

    /// <summary>The text two messages must share to count as the same: numbers, hex ids and client names blanked.</summary>
    internal static string Shape(string message) => Variable().Replace(message, "#");

    [GeneratedRegex(@"#?(producer|consumer|admin)-\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+", RegexOptions.CultureInvariant)]
    private static partial Regex Variable();

    sealed class Repeat(ILogger logger, LogLevel level, string category, TimeSpan window)
    {
        readonly Lock _lock = new();
        DateTimeOffset _windowEnd;
        long _suppressed;
        string _last = "";

        /// <summary>True if the message should be written now (the first of a window).</summary>
        public bool Admit(DateTimeOffset now, string message)
        {
            lock (_lock)
            {
                Flush(now, force: false);
                if (now < _windowEnd)
                {
                    _suppressed++;
                    _last = message;
                    return false;
                }

                _windowEnd = now + window;
                return true;
            }
        }

        public void Flush(DateTimeOffset now, bool force)
        {
            lock (_lock)
            {
                if (_suppressed == 0 || (!force && now < _windowEnd)) return;
                logger.Log(level, "{Count} more like this in the last {Seconds:0} s ({Category}); last: {Message}",
                    _suppressed, window.TotalSeconds, category, _last);
                _suppressed = 0;
            }
        }
    }

    sealed class CollapsingLogger(RepeatCollapsingLoggerProvider owner, string category, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel)) return;
            if (logLevel < LogLevel.Warning)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var message = formatter(state, exception);
            var repeat = owner._repeats.GetOrAdd($"{category}\n{logLevel}\n{Shape(message)}", _ => new Repeat(inner, logLevel, category, owner.Window));
            if (repeat.Admit(owner._clock.GetUtcNow(), message)) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
