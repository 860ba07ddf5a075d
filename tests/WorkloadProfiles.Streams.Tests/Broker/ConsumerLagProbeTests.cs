using Confluent.Kafka;
using Prometheus;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Streams.Tests.Broker;

public sealed class ConsumerLagProbeTests
{
    [Fact]
    public void Lag_is_the_high_watermark_minus_the_committed_offset_and_everything_retained_when_nothing_is_committed()
    {
        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions());
        const string topic = "lag-probe";
        broker.CreateTopic(topic, 3);
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 10; i++) producer.Produce(new TopicPartition(topic, 0), new Message<byte[], byte[]> { Value = [1] });
            for (var i = 0; i < 6; i++) producer.Produce(new TopicPartition(topic, 1), new Message<byte[], byte[]> { Value = [2] });
            producer.Flush();
        }

        var application = LocalKafkaBrokerFixture.UniqueName("lag-app");
        using (var member = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = application }).Build())
        {
            member.Commit([new TopicPartitionOffset(topic, 0, 4)]);
        }

        var metrics = new StreamsMetrics(Metrics.NewCustomRegistry());
        using var probe = new ConsumerLagProbe(broker.BootstrapServers, application, [topic], metrics);
        var lag = probe.Measure();

        Assert.Equal(6, lag[new TopicPartition(topic, 0)]);
        Assert.Equal(6, lag[new TopicPartition(topic, 1)]);
        Assert.Equal(0, lag[new TopicPartition(topic, 2)]);
        Assert.Equal(6, metrics.ConsumerLag.WithLabels(topic, "0").Value);
        Assert.Equal(6, metrics.ConsumerLag.WithLabels(topic, "1").Value);
    }
}
