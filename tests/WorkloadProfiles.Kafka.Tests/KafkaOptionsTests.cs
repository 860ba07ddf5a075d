using Confluent.Kafka;
using Microsoft.Extensions.Configuration;

namespace WorkloadProfiles.Kafka.Tests;

public class KafkaOptionsTests
{
    [Fact]
    public void Defaults_to_the_broker_command_on_its_default_port()
    {
        var options = KafkaOptions.From(new ConfigurationBuilder().Build());

        Assert.Equal("127.0.0.1:9092", options.ToProducerConfig().BootstrapServers);
    }

    [Fact]
    public void Binds_the_Kafka_section_and_passes_client_properties_through_to_every_client()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = "kafka-1:9093,kafka-2:9093",
            ["Kafka:Client:security.protocol"] = "SASL_SSL",
            ["Kafka:Client:sasl.mechanism"] = "SCRAM-SHA-512",
        }).Build();

        var options = KafkaOptions.From(configuration);
        var consumer = options.ToConsumerConfig("snapshot-job");
        var producer = options.ToProducerConfig();
        var admin = options.ToAdminClientConfig();

        Assert.Equal("snapshot-job", consumer.GroupId);
        foreach (ClientConfig config in new ClientConfig[] { consumer, producer, admin })
        {
            Assert.Equal("kafka-1:9093,kafka-2:9093", config.BootstrapServers);
            Assert.Equal("SASL_SSL", config.Get("security.protocol"));
            Assert.Equal("SCRAM-SHA-512", config.Get("sasl.mechanism"));
        }
    }

    [Fact]
    public void An_empty_bootstrap_address_is_a_clear_error()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Kafka:BootstrapServers"] = " " }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => KafkaOptions.From(configuration));

        Assert.Contains("WP_Kafka__BootstrapServers", error.Message, StringComparison.Ordinal);
    }
}
