using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Kafka.Tests;

public class LocalKafkaBrokerTests(LocalKafkaBrokerFixture fixture) : IClassFixture<LocalKafkaBrokerFixture>
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void Every_pipeline_topic_exists_with_its_partition_count()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.BootstrapServers }).Build();

        var metadata = admin.GetMetadata(Timeout);

        foreach (var topic in Topics.All)
        {
            var found = Assert.Single(metadata.Topics, t => t.Topic == topic.Name);
            Assert.Equal(ErrorCode.NoError, found.Error.Code);
            Assert.Equal(topic.Partitions, found.Partitions.Count);
        }

        Assert.Equal(8, metadata.Topics.Single(t => t.Topic == "wp.events.raw").Partitions.Count);
        Assert.Equal(4, metadata.Topics.Single(t => t.Topic == "wp.profiles").Partitions.Count);
    }

    [Fact]
    public void CreateTopic_reports_whether_it_created_and_keeps_an_existing_layout()
    {
        var name = LocalKafkaBrokerFixture.UniqueName("create");

        Assert.True(fixture.Broker.CreateTopic(name, 3));
        Assert.False(fixture.Broker.CreateTopic(name, 5));

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.BootstrapServers }).Build();
        Assert.Equal(3, admin.GetMetadata(name, Timeout).Topics.Single().Partitions.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("has space")]
    [InlineData("slash/topic")]
    public void CreateTopic_rejects_names_kafka_rejects(string name)
    {
        Assert.ThrowsAny<ArgumentException>(() => fixture.Broker.CreateTopic(name, 1));
    }

    [Fact]
    public void A_fixed_port_is_what_clients_connect_to_and_what_metadata_advertises()
    {
        var port = LocalBrokerProcess.FreePort();
        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Port = port, Topics = [] });
        Assert.Equal($"127.0.0.1:{port}", broker.BootstrapServers);
        broker.CreateTopic("fixed", 2);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();
        var metadata = admin.GetMetadata("fixed", Timeout);

        var advertised = Assert.Single(metadata.Brokers);
        Assert.Equal(port, advertised.Port);
        Assert.Equal(2, metadata.Topics.Single().Partitions.Count);
    }

    [Fact]
    public void A_port_in_use_is_a_clear_error()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var error = Assert.Throws<InvalidOperationException>(() => LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Port = port, Topics = [] }));

        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("already in use", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_from_a_separate_kcat_process_reach_a_consumer_group_that_resumes_from_its_commits()
    {
        var topic = fixture.CreateUniqueTopic("kcat", partitions: 4);
        var group = LocalKafkaBrokerFixture.UniqueName("group");
        var sent = Enumerable.Range(0, 40).Select(i => $"key{i % 7}:value{i}").ToList();

        var produced = await Kcat.RunAsync(["-P", "-b", fixture.BootstrapServers, "-t", topic, "-K", ":"], sent, Timeout);
        Assert.True(produced.ExitCode == 0, $"kcat failed ({produced.ExitCode}): {produced.Error}");

        // First member reads part of the topic and commits what it read.
        var first = new List<ConsumeResult<string, string>>();
        using (var consumer = BuildConsumer(group))
        {
            consumer.Subscribe(topic);
            await Poll.UntilAsync(() => TryConsume(consumer, first, limit: 25) && first.Count == 25, Timeout, "the first 25 records");
            foreach (var record in first)
            {
                consumer.Commit(record);
            }

            consumer.Close();
        }

        var committed = first.GroupBy(r => r.Partition.Value).ToDictionary(g => g.Key, g => g.Max(r => r.Offset.Value) + 1);

        // A restarted member of the same group starts where the commits say, so together they see every record once.
        var second = new List<ConsumeResult<string, string>>();
        using (var consumer = BuildConsumer(group))
        {
            consumer.Subscribe(topic);
            await Poll.UntilAsync(() => TryConsume(consumer, second) && first.Count + second.Count >= sent.Count, Timeout, "the remaining records");
            consumer.Close();
        }

        Assert.Equal(sent.Count - first.Count, second.Count);
        foreach (var partition in second.GroupBy(r => r.Partition.Value))
        {
            Assert.Equal(committed.GetValueOrDefault(partition.Key), partition.Min(r => r.Offset.Value));
        }

        Assert.Equal(sent.Order(), first.Concat(second).Select(r => $"{r.Message.Key}:{r.Message.Value}").Order());
    }

    internal static IConsumer<string, string> BuildConsumer(string group, string? bootstrapServers = null) =>
        new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers ?? throw new ArgumentNullException(nameof(bootstrapServers)),
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
        }).Build();

    IConsumer<string, string> BuildConsumer(string group) => BuildConsumer(group, fixture.BootstrapServers);

    /// <summary>
    /// Collects the records that are ready, waiting briefly for the first, until <paramref name="into"/> holds
    /// <paramref name="limit"/>; returns true so it composes inside a polled condition.
    /// </summary>
    internal static bool TryConsume<TKey, TValue>(IConsumer<TKey, TValue> consumer, List<ConsumeResult<TKey, TValue>> into, int limit = int.MaxValue)
    {
        var wait = TimeSpan.FromMilliseconds(100);
        while (into.Count < limit && consumer.Consume(wait) is { } record)
        {
            if (!record.IsPartitionEOF)
            {
                into.Add(record);
            }

            wait = TimeSpan.Zero;
        }

        return true;
    }
}
