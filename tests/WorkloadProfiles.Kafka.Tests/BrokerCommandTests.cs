using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Kafka.Streams;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Kafka.Tests;

/// <summary>The broker command in its own process, as agents, kcat and the pipeline's separate processes use it.</summary>
public class BrokerCommandTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Serves_clients_and_topic_creation_from_other_processes_then_stops_cleanly_on_SIGTERM()
    {
        var port = LocalBrokerProcess.FreePort();
        await using var broker = await LocalBrokerProcess.StartAsync(Timeout, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                                                               "--control-port", LocalBrokerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal($"127.0.0.1:{port}", broker.BootstrapServers);

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(Timeout);
        Assert.All(Topics.All, t => Assert.Equal(t.Partitions, metadata.Topics.Single(m => m.Topic == t.Name).Partitions.Count));

        // Topic creation through the control port, directly and as Streamiz' admin client asks for it.
        var control = new BrokerControlClient(broker.ControlPort);
        Assert.True(control.CreateTopic("command.direct", 2));
        Assert.False(control.CreateTopic("command.direct", 2));
        var streamConfig = new StreamConfig<StringSerDes, StringSerDes> { ApplicationId = "command-test", BootstrapServers = broker.BootstrapServers };
        using (var streamsAdmin = new LocalBrokerKafkaSupplier(streamConfig, control).GetAdmin(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }))
        {
            await streamsAdmin.CreateTopicsAsync([new TopicSpecification { Name = "command-test-store-changelog", NumPartitions = 3, ReplicationFactor = 1 }]);
        }

        var created = admin.GetMetadata(Timeout).Topics.ToDictionary(t => t.Topic, t => t.Partitions.Count);
        Assert.Equal(2, created["command.direct"]);
        Assert.Equal(3, created["command-test-store-changelog"]);
        var refused = Assert.Throws<InvalidOperationException>(() => control.CreateTopic("command.direct", 0));
        Assert.Contains("command.direct", refused.Message, StringComparison.Ordinal);

        // Produce and consume through the fixed port.
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 20; i++)
            {
                await producer.ProduceAsync("command.direct", new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
            }
        }

        using (var consumer = LocalKafkaBrokerTests.BuildConsumer("command-group", broker.BootstrapServers))
        {
            consumer.Subscribe("command.direct");
            var received = new List<ConsumeResult<string, string>>();
            await Poll.UntilAsync(() => LocalKafkaBrokerTests.TryConsume(consumer, received) && received.Count >= 20, Timeout, "20 records from the broker command");
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"v{i}").Order(), received.Select(r => r.Message.Value).Order());
            consumer.Commit();
            consumer.Close();
        }

        Assert.Equal(0, await broker.StopAsync(Timeout));
        Assert.Equal("stopped", broker.Output.Last());
    }

    [Fact]
    public async Task Reads_its_port_from_the_environment_and_refuses_a_port_in_use_with_a_clear_error()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        await using var broker = LocalBrokerProcess.Launch([], new Dictionary<string, string>
        {
            ["WP_Broker__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await Poll.UntilAsync(() => broker.HasExited, Timeout, "the broker command to give up");

        Assert.Equal(3, broker.ExitCode); // a prerequisite (the port) is missing
        var error = string.Join('\n', broker.Error);
        Assert.Contains($"127.0.0.1:{port}", error, StringComparison.Ordinal);
        Assert.Contains("already in use", error, StringComparison.Ordinal);
    }
}
