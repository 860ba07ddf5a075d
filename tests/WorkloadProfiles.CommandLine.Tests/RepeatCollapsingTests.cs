using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WorkloadProfiles.Hosting;

namespace WorkloadProfiles.CommandLine.Tests;

public sealed class RepeatCollapsingTests
{
    [Fact]
    public void A_repeated_error_is_written_once_per_window_then_counted()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var sink = new RecordingProvider();
        using var provider = new RepeatCollapsingLoggerProvider(sink, clock, TimeSpan.FromSeconds(10));
        var logger = provider.CreateLogger("Streamiz.Kafka.Net.Kafka.KafkaLoggerAdapter");

        for (var i = 0; i < 50; i++)
        {
            logger.LogError("producer-{N} - 127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after {Ms}ms)", i % 3, i);
        }

        Assert.Single(sink.Lines);
        clock.Advance(TimeSpan.FromSeconds(10)); // the window closes: the count is written even if nothing else comes
        Assert.Equal(2, sink.Lines.Count);
        Assert.StartsWith("49 more like this in the last 10 s", sink.Lines[1], StringComparison.Ordinal);

        logger.LogError("producer-1 - 127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 1ms)");
        Assert.Equal(3, sink.Lines.Count); // a new window writes the first one again
    }

    [Fact]
    public void Different_messages_and_information_pass_through()
    {
        var sink = new RecordingProvider();
        using var provider = new RepeatCollapsingLoggerProvider(sink, new FakeTimeProvider(), TimeSpan.FromSeconds(10));
        var logger = provider.CreateLogger("wp-sink");

        logger.LogWarning("ClickHouse unavailable");
        logger.LogWarning("Kafka consumer error: broker down");
        for (var i = 0; i < 3; i++) logger.LogInformation("consumed={Count}", i);

        Assert.Equal(5, sink.Lines.Count);
    }

    [Theory]
    [InlineData("wp-streams-1a2b3c4d-1111-2222-3333-444455556666#producer-2 - 1/1 brokers are down",
                "wp-streams-1a2b3c4d-9999-8888-7777-666655554444#producer-7 - 1/1 brokers are down")]
    [InlineData("Connect to ipv4#127.0.0.1:9092 failed (after 0ms)", "Connect to ipv4#127.0.0.1:9092 failed (after 12ms)")]
    public void Messages_that_differ_in_client_names_and_numbers_have_one_shape(string a, string b) =>
        Assert.Equal(RepeatCollapsingLoggerProvider.Shape(a), RepeatCollapsingLoggerProvider.Shape(b));

    sealed class RecordingProvider : ILoggerProvider
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Recorder(Lines);

        public void Dispose()
        {
        }

        sealed class Recorder(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (lines) lines.Add(formatter(state, exception));
            }
        }
    }
}
