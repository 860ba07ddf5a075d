using WorkloadProfiles.Contracts;
using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.Testing;

/// <summary>
/// An in-process <see cref="LocalKafkaBroker"/> on a free loopback port with every pipeline topic, shared by the tests of
/// a class (<c>IClassFixture&lt;LocalKafkaBrokerFixture&gt;</c>) or a collection. The broker keeps state across those
/// tests, so each test uses its own topics (<see cref="CreateUniqueTopic"/>) and consumer groups.
/// </summary>
public sealed class LocalKafkaBrokerFixture : IDisposable
{
    public LocalKafkaBrokerFixture() => Broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Topics = TopicLayout.Pipeline });

    public LocalKafkaBroker Broker { get; }

    public string BootstrapServers => Broker.BootstrapServers;

    /// <summary>Creates a topic no other test uses, named after <paramref name="prefix"/>, and returns its name.</summary>
    public string CreateUniqueTopic(string prefix, int partitions = Topics.DefaultPartitions)
    {
        var name = UniqueName(prefix);
        Broker.CreateTopic(name, partitions);
        return name;
    }

    /// <summary>A name no other test uses (for topics, consumer groups, application ids).</summary>
    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public void Dispose() => Broker.Dispose();
}
