using Confluent.Kafka;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Kafka.Tests;

public class RdkafkaPinTests
{
    [Fact]
    public void Confluent_Kafka_runs_on_the_pinned_redist_build()
    {
        // Building a client forces Confluent.Kafka to load librdkafka through whatever resolution is in place.
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:1" }).Build();

        Assert.Equal(RdkafkaPin.ExpectedVersion, Library.VersionString);
        Assert.EndsWith("runtimes/linux-x64/native/centos8-librdkafka.so", RdkafkaPin.LibraryPath);
        var mapped = File.ReadAllLines("/proc/self/maps").Where(l => l.Contains("rdkafka", StringComparison.Ordinal)).ToList();
        Assert.Contains(mapped, l => l.EndsWith("centos8-librdkafka.so", StringComparison.Ordinal));
        Assert.DoesNotContain(mapped, l => l.Contains("/usr/lib", StringComparison.Ordinal));
    }
}
