using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Agent.Scheduling;

/// <summary>
/// Follows the compacted <c>wp.profiles</c> topic from the beginning into a <see cref="ProfileStatusTable"/>, so the
/// scheduler knows which images are still Learning and which are Stable. A private consumer group with no commits:
/// every agent reads the whole (compacted) table at start.
/// </summary>
internal sealed class ProfileStatusFollower(KafkaOptions kafka, AvroCodecs codecs, ProfileStatusTable table, ILogger logger)
{
    public Task RunAsync(CancellationToken cancellationToken) => Task.Factory.StartNew(() =>
    {
        var config = kafka.ToConsumerConfig($"wp-agent-profiles-{Guid.NewGuid():N}");
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.EnableAutoCommit = false;
        var codec = codecs.For<SecurityProfile>();
        using var consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        consumer.Subscribe(Topics.Profiles);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = consumer.Consume(cancellationToken);
                if (result?.Message?.Value is not { } value) continue;
                try
                {
                    var profile = codec.Deserialize(value);
                    table.Set(profile.Key, profile.Status);
                }
                catch (ContractException ex)
                {
                    logger.LogWarning("Ignoring an unreadable wp.profiles record at {Offset}: {Reason}", result.TopicPartitionOffset, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            consumer.Close();
        }
    }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
