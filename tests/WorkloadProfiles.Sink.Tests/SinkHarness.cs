using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.ClickHouse.Tests;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Sink.Tests;

/// <summary>
/// One sink under test: its own topics on the shared local broker, its own ClickHouse database, its own consumer group.
/// Produces pipeline records with the real Avro codecs and runs <see cref="ClickHouseSink"/> against the real servers.
/// </summary>
public sealed class SinkHarness : IAsyncDisposable
{
    private readonly LocalKafkaBrokerFixture broker;
    private readonly IProducer<byte[]?, byte[]?> producer;
    private readonly List<(ClickHouseSink Sink, CancellationTokenSource Stop, Task Running)> sinks = [];

    private SinkHarness(LocalKafkaBrokerFixture broker, ClickHouseDatabase database, SinkTopicNames topics)
    {
        this.broker = broker;
        Database = database;
        Topics = topics;
        producer = new ProducerBuilder<byte[]?, byte[]?>(Kafka.ToProducerConfig()).Build();
    }

    public ClickHouseDatabase Database { get; }
    public SinkTopicNames Topics { get; }
    public AvroCodecs Codecs { get; } = new();
    public KafkaOptions Kafka => new() { BootstrapServers = broker.BootstrapServers };

    public static async Task<SinkHarness> CreateAsync(LocalKafkaBrokerFixture broker, string? connectionString = null)
    {
        var topics = new SinkTopicNames
        {
            Snapshots = broker.CreateUniqueTopic("snapshots"),
            Profiles = broker.CreateUniqueTopic("profiles"),
            SignalsEnriched = broker.CreateUniqueTopic("enriched"),
            Suppressions = broker.CreateUniqueTopic("suppressions"),
            Containers = broker.CreateUniqueTopic("containers"),
            DeadLetter = broker.CreateUniqueTopic("deadletter"),
        };
        var database = new ClickHouseDatabase(connectionString ?? LocalClickHouse.ConnectionString, $"wp_sink_{Guid.NewGuid():N}"[..20]);
        if (connectionString is null) await LocalClickHouse.EnsureRunningAsync();
        await database.DropIfExistsAsync();
        await new Migrator(database).MigrateAsync();
        return new SinkHarness(broker, database, topics);
    }

    /// <summary>Starts a sink in consumer group <paramref name="groupId"/> (a new group replays the topics from the start).</summary>
    /// <param name="client">librdkafka properties for the sink's clients (e.g. a short session timeout for rebalances).</param>
    public ClickHouseSink StartSink(string groupId, int maxBatchRecords = 500, IReadOnlyDictionary<string, string>? client = null)
    {
        var options = new SinkOptions
        {
            GroupId = groupId,
            Topics = Topics,
            MaxBatchRecords = maxBatchRecords,
            LingerMs = 100,
            RetryInitialBackoffMs = 100,
            RetryMaxBackoffMs = 1_000,
            Migrate = false,
        };
        var kafka = Kafka;
        foreach (var (key, value) in client ?? new Dictionary<string, string>()) kafka.Client[key] = value;
        var sink = new ClickHouseSink(kafka, Database, options, Codecs, LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)));
        var stop = new CancellationTokenSource();
        sinks.Add((sink, stop, sink.RunAsync(stop.Token)));
        return sink;
    }

    public async Task StopSinksAsync()
    {
        foreach (var (sink, stop, running) in sinks)
        {
            await stop.CancelAsync();
            await running;
            sink.Dispose();
            stop.Dispose();
        }
        sinks.Clear();
    }

    public void Produce<T>(string topic, string key, T value) where T : class =>
        ProduceRaw(topic, key, Codecs.For<T>(topic).Serialize(value));

    public void ProduceRaw(string topic, string key, byte[]? value) =>
        producer.Produce(topic, new Message<byte[]?, byte[]?> { Key = System.Text.Encoding.UTF8.GetBytes(key), Value = value });

    public void Flush() => producer.Flush(TimeSpan.FromSeconds(10));

    /// <summary>Produces the whole <see cref="SampleWarehouse"/>; returns the number of records.</summary>
    public int ProduceSampleWarehouse()
    {
        var records = 0;
        foreach (var p in SampleWarehouse.Profiles) { Produce(Topics.Profiles, p.Key.ToString(), p); records++; }
        foreach (var s in SampleWarehouse.Snapshots) { Produce(Topics.Snapshots, $"{s.Container.ImageName}@{s.Container.ImageTag}", s); records++; }
        foreach (var e in SampleWarehouse.Signals) { Produce(Topics.SignalsEnriched, $"{e.Signal.Container.ImageName}@{e.Signal.Container.ImageTag}", e); records++; }
        foreach (var s in SampleWarehouse.Suppressions) { Produce(Topics.Suppressions, s.Id, s); records++; }
        foreach (var c in SampleWarehouse.Containers) { Produce(Topics.Containers, c.Container.Id, c); records++; }
        Flush();
        return records;
    }

    public async Task<long> CountAsync(string table, bool final = true) =>
        long.Parse(await Database.ScalarTextAsync($"SELECT count() FROM {ClickHouseLiteral.Identifier(table)}{(final ? " FINAL" : "")}"),
            System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads the dead-letter topic from the start until <paramref name="count"/> letters arrived.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ReadDeadLettersAsync(int count, TimeSpan timeout)
    {
        var config = Kafka.ToConsumerConfig(LocalKafkaBrokerFixture.UniqueName("dlq-reader"));
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(config).Build();
        consumer.Subscribe(Topics.DeadLetter);
        var codec = Codecs.For<DeadLetter>(Topics.DeadLetter);
        var letters = new List<DeadLetter>();
        await Poll.UntilAsync(() =>
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result) letters.Add(codec.Deserialize(result.Message.Value));
            return letters.Count >= count;
        }, timeout, $"{count} dead letters on {Topics.DeadLetter}");
        consumer.Close();
        return letters;
    }

    public async ValueTask DisposeAsync()
    {
        await StopSinksAsync();
        producer.Dispose();
        try
        {
            await Database.DropIfExistsAsync();
        }
        catch (HttpRequestException)
        {
            // A private server may already be stopped; its data folder goes with it.
        }
        Database.Dispose();
        Codecs.Dispose();
    }
}
