using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>The Kafka publisher against the local (mock-cluster) broker, read back with a plain consumer.</summary>
public sealed class KafkaPublisherTests : IClassFixture<LocalKafkaBrokerFixture>
{
    private readonly LocalKafkaBrokerFixture _kafka;

    public KafkaPublisherTests(LocalKafkaBrokerFixture kafka) => _kafka = kafka;

    [Fact]
    public async Task Batches_and_container_records_are_keyed_by_container_id_and_decode_to_what_was_published()
    {
        var options = new KafkaOptions { BootstrapServers = _kafka.BootstrapServers };
        var container = new ContainerRef(new string('a', 64), "registry/app", "1.2");
        var batch = new RawEventBatch
        {
            Container = container,
            HostName = "host-1",
            AgentId = "agent-1",
            Sequence = 7,
            DroppedEvents = 2,
            Events =
            [
                new RawEvent { Kind = EventKind.Exec, TimestampUs = 1_700_000_000_000_000, Pid = 10, Ppid = 1, Comm = "sh", ExecutablePath = "/bin/sh", Args = ["sh", "-c", "id"] },
                new RawEvent { Kind = EventKind.Dns, TimestampUs = 1_700_000_000_000_100, Pid = 10, Comm = "sh", DnsQuestionName = "example.com", DnsQuestionType = 1, Transport = NetworkTransport.Udp, DestinationAddress = "10.0.0.2", DestinationPort = 53 },
            ],
        };
        var info = new ContainerInfo { Container = container, HostName = "host-1", Name = "app-1", Profiled = true, CgroupId = 42 };

        await using (var publisher = new KafkaEventPublisher(options, AvroCodecs.Default, new AgentMetrics(), NullLogger.Instance))
        {
            publisher.Publish(batch);
            publisher.Publish(info);
            await publisher.FlushAsync(CancellationToken.None);
        }

        var raw = ConsumeOne(options, Topics.EventsRaw);
        Assert.Equal(container.Id, raw.Key);
        var decoded = AvroCodecs.Default.For<RawEventBatch>().Deserialize(raw.Value);
        Assert.Equal(EventComparison.Describe(batch), EventComparison.Describe(decoded));

        var containers = ConsumeOne(options, Topics.Containers);
        Assert.Equal(container.Id, containers.Key);
        Assert.Equal(info, AvroCodecs.Default.For<ContainerInfo>().Deserialize(containers.Value));
    }

    private static Message<string, byte[]> ConsumeOne(KafkaOptions options, string topic)
    {
        var config = options.ToConsumerConfig($"agent-test-{Guid.NewGuid():N}");
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        using var consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        consumer.Subscribe(topic);
        var result = consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException($"nothing on {topic}");
        consumer.Close();
        return result.Message;
    }
}
