using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Agent.Scheduling;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>The agent reads wp.profiles to prefer Learning images (a consumer too): a hostile record there is skipped, never a stop.</summary>
public sealed class ProfileFollowerTests(LocalKafkaBrokerFixture kafka) : IClassFixture<LocalKafkaBrokerFixture>
{
    [Fact]
    public async Task Records_it_cannot_read_are_skipped_and_the_profiles_after_them_followed()
    {
        var options = new KafkaOptions { BootstrapServers = kafka.BootstrapServers };
        var codecs = AvroCodecs.Default;
        using (var producer = new ProducerBuilder<byte[], byte[]>(options.ToProducerConfig()).Build())
        {
            // A key that is not UTF-8, a value that is not Avro, then a real profile.
            await producer.ProduceAsync(Topics.Profiles, new Message<byte[], byte[]> { Key = [0xFF, 0xFE, 0xC0], Value = [0xC3, 0x01, 9] });
            var aggregate = new ProfileAggregate(new ProfileKey("followed", "1.0"), new ProfilePolicy { StableSnapshotCount = 1 });
            aggregate.Merge(new SnapshotBuilder(new ContainerRef("c1", "followed", "1.0"), "h", 0, 60_000_000).Build(), 1);
            await producer.ProduceAsync(Topics.Profiles, new Message<byte[], byte[]> { Key = [0xFF], Value = codecs.For<SecurityProfile>().Serialize(aggregate.ToProfile()) });
        }

        var table = new ProfileStatusTable();
        using var stop = new CancellationTokenSource();
        var following = new ProfileStatusFollower(options, codecs, table, NullLogger.Instance).RunAsync(stop.Token);
        await Poll.UntilAsync(() => following.IsCompleted || table.StatusOf(new ProfileKey("followed", "1.0")) is not null, TimeSpan.FromSeconds(30),
            "the profile after the unreadable records");

        Assert.False(following.IsCompleted, following.Exception?.ToString());
        Assert.Equal(ProfileStatus.Stable, table.StatusOf(new ProfileKey("followed", "1.0")));
        await stop.CancelAsync();
        await following;
    }
}
