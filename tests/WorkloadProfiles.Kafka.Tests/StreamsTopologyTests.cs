using Confluent.Kafka;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.Table;
using WorkloadProfiles.Kafka.Streams;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Kafka.Tests;

public sealed class StreamsTopologyTests(LocalKafkaBrokerFixture fixture, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<LocalKafkaBrokerFixture>, IDisposable
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    readonly string _stateDir = Path.Combine(Path.GetTempPath(), "wp-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_repartitioning_count_with_a_changelog_yields_exact_counts()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var input = fixture.CreateUniqueTopic("words", partitions: 4);
        var output = fixture.CreateUniqueTopic("word-counts", partitions: 4);
        var applicationId = LocalKafkaBrokerFixture.UniqueName("wordcount");

        // Keyed by sender, counted by word: GroupBy re-keys, so records must cross a repartition topic, and the count's
        // store is backed by a changelog topic. Both are internal topics the supplier has to create on the mock.
        var builder = new StreamBuilder();
        builder.Stream<string, string>(input)
            .GroupBy((_, word, _) => word)
            .Count(InMemory.As<string, long>("counts"))
            .ToStream()
            .MapValues((count, _) => count.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .To(output);

        var config = LocalStreamsDefaults.ApplyTo(new StreamConfig<StringSerDes, StringSerDes>
        {
            ApplicationId = applicationId,
            BootstrapServers = fixture.BootstrapServers,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            CommitIntervalMs = 100,
            StateDir = _stateDir,
        });

        var words = new[] { "exec", "open", "connect", "dns", "fork" };
        var expected = new Dictionary<string, long>();
        var records = Enumerable.Range(0, 500).Select(i => (Sender: $"container-{i % 9}", Word: words[(i * i + 3 * i) % words.Length])).ToList();
        foreach (var (_, word) in records)
        {
            expected[word] = expected.GetValueOrDefault(word) + 1;
        }

        using var stream = new KafkaStream(builder.Build(), config, new LocalBrokerKafkaSupplier(config, fixture.Broker));
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stream.StateChanged += (_, state) =>
        {
            if (state == KafkaStream.State.RUNNING)
            {
                running.TrySetResult();
            }
        };
        await stream.StartAsync();
        await running.Task.WaitAsync(Timeout);
        log.WriteLine($"stream running after {sw.ElapsedMilliseconds} ms");

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = fixture.BootstrapServers }).Build())
        {
            foreach (var (sender, word) in records)
            {
                producer.Produce(input, new Message<string, string> { Key = sender, Value = word });
            }

            producer.Flush(Timeout);
        }

        log.WriteLine($"input produced after {sw.ElapsedMilliseconds} ms");
        var latest = new Dictionary<string, long>();
        var highest = new Dictionary<string, long>();
        using var consumer = LocalKafkaBrokerTests.BuildConsumer(LocalKafkaBrokerFixture.UniqueName("verify"), fixture.BootstrapServers);
        consumer.Subscribe(output);
        var seen = new List<ConsumeResult<string, string>>();
        await Poll.UntilAsync(
            () =>
            {
                LocalKafkaBrokerTests.TryConsume(consumer, seen);
                foreach (var record in seen)
                {
                    var count = long.Parse(record.Message.Value, System.Globalization.CultureInfo.InvariantCulture);
                    latest[record.Message.Key] = count;
                    highest[record.Message.Key] = Math.Max(count, highest.GetValueOrDefault(record.Message.Key));
                }

                seen.Clear();
                return expected.All(e => latest.GetValueOrDefault(e.Key) == e.Value);
            },
            Timeout,
            "the final count of every word");

        log.WriteLine($"final counts seen after {sw.ElapsedMilliseconds} ms");
        Assert.Equal(expected.OrderBy(e => e.Key), latest.OrderBy(e => e.Key));
        Assert.Equal(expected.OrderBy(e => e.Key), highest.OrderBy(e => e.Key)); // never counted past the truth

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.BootstrapServers }).Build();
        var internalTopics = admin.GetMetadata(Timeout).Topics.Select(t => t.Topic).Where(t => t.StartsWith(applicationId, StringComparison.Ordinal)).ToList();
        Assert.Contains(internalTopics, t => t.EndsWith("-repartition", StringComparison.Ordinal));
        var changelog = Assert.Single(internalTopics, t => t == $"{applicationId}-counts-changelog");

        // The changelog carries the store's state: its latest entry per word is the final count.
        using var changelogReader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = fixture.BootstrapServers,
            GroupId = LocalKafkaBrokerFixture.UniqueName("changelog"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        var counts = new Int64SerDes();
        changelogReader.Subscribe(changelog);
        var stored = new Dictionary<string, long>();
        await Poll.UntilAsync(
            () =>
            {
                var entries = new List<ConsumeResult<string, byte[]>>();
                LocalKafkaBrokerTests.TryConsume(changelogReader, entries);
                foreach (var entry in entries)
                {
                    stored[entry.Message.Key] = counts.Deserialize(entry.Message.Value, new SerializationContext(MessageComponentType.Value, changelog));
                }

                return expected.All(e => stored.GetValueOrDefault(e.Key) == e.Value);
            },
            Timeout,
            "the changelog to hold every final count");
        log.WriteLine($"changelog verified after {sw.ElapsedMilliseconds} ms");
    }

    public void Dispose()
    {
        if (Directory.Exists(_stateDir))
        {
            Directory.Delete(_stateDir, recursive: true);
        }
    }
}
