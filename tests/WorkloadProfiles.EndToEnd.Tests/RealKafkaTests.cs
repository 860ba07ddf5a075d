using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Testcontainers.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Local;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>
/// The stream jobs (<c>wp-streams</c>) against a real Apache Kafka in a container, with real CreateTopics for Streamiz's
/// internal topics. Needs a Docker engine; where there is none the test is skipped and says why.
/// </summary>
public sealed class RealKafkaTests
{
    static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    static string? DockerUnavailable() =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } || File.Exists("/var/run/docker.sock")
            ? null
            : "no Docker engine (neither DOCKER_HOST nor /var/run/docker.sock): Testcontainers cannot start Kafka here";

    [SkippableFact]
    public async Task Stream_jobs_turn_raw_events_into_snapshots_and_a_profile_on_a_real_kafka()
    {
        var unavailable = DockerUnavailable();
        Skip.If(unavailable is not null, unavailable);
        await using var kafka = new KafkaBuilder("apache/kafka:4.1.0").Build();
        await kafka.StartAsync();
        var bootstrap = kafka.GetBootstrapAddress();

        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
        {
            await admin.CreateTopicsAsync(Topics.All.Select(t => new TopicSpecification
            {
                Name = t.Name,
                NumPartitions = t.Partitions,
                ReplicationFactor = 1,
                Configs = t.Compacted ? new Dictionary<string, string> { ["cleanup.policy"] = "compact" } : null,
            }).Append(new TopicSpecification { Name = "wp.falco", NumPartitions = 1, ReplicationFactor = 1 }));
        }

        var work = Directory.CreateTempSubdirectory("wp-realkafka-").FullName;
        await using var streams = ChildProcess.Start("stream jobs", "streams/WorkloadProfiles.Streams.Host", "wp-streams.dll", [],
            new Dictionary<string, string>
            {
                ["WP_Kafka__BootstrapServers"] = bootstrap,
                ["WP_Streams__StateDir"] = Path.Combine(work, "state"),
                ["WP_Streams__TimeScale"] = "180",
                ["WP_Http__Port"] = LocalBrokerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, Path.Combine(work, "wp-streams.log"));

        // Three 10 s windows of the demo workload, shifted to now as a replay would.
        using var codecs = new AvroCodecs();
        var raw = codecs.For<RawEventBatch>();
        var batches = DemoRecording.Batches(TimeSpan.FromSeconds(10), windows: 3).ToList();
        var shiftUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 - batches[0].Events[0].TimestampUs;
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrap }).Build())
        {
            foreach (var batch in batches)
            {
                var shifted = batch with { Events = [.. batch.Events.Select(e => e with { TimestampUs = e.TimestampUs + shiftUs })] };
                producer.Produce(Topics.EventsRaw, new Message<string, byte[]> { Key = batch.Container.Id, Value = raw.Serialize(shifted) });
            }

            producer.Flush(TimeSpan.FromSeconds(30));
        }

        var profiles = codecs.For<SecurityProfile>();
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "realkafka-test",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(Topics.Profiles);
        SecurityProfile? profile = null;
        await Poll.UntilAsync(() =>
        {
            Assert.False(streams.HasExited, $"wp-streams exited: {streams.Tail()}");
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record?.Message.Value is { } value) profile = profiles.Deserialize(value);
            return profile is not null;
        }, Deadline, "a profile on wp.profiles");

        Assert.Equal(new ProfileKey(DemoRecording.ImageName, DemoRecording.ImageTag), profile!.Key);
        Assert.True(profile.SnapshotCount >= 2, $"both containers' first window merged, got {profile.SnapshotCount}");
    }
}
