using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Agent.Publishing;

/// <summary>
/// Publishes batches to <c>wp.events.raw</c> and container records to the compacted <c>wp.containers</c>, both keyed
/// by container id (one container's batches stay ordered in one partition). Idempotent producer (no duplicates or
/// reordering on retry), lz4 compression and a short linger: the agent already batches per container, the producer
/// only packs batches of different containers into one request.
/// </summary>
internal sealed class KafkaEventPublisher : IEventPublisher
{
    private readonly IProducer<string, byte[]> _producer;
    private readonly IAvroCodec<RawEventBatch> _batches;
    private readonly IAvroCodec<ContainerInfo> _containers;
    private readonly AgentMetrics _metrics;
    private readonly ILogger _logger;

    public KafkaEventPublisher(KafkaOptions kafka, AvroCodecs codecs, AgentMetrics metrics, ILogger logger)
    {
        var config = kafka.ToProducerConfig();
        config.EnableIdempotence ??= true;
        config.CompressionType ??= CompressionType.Lz4;
        config.LingerMs ??= 5;
        config.ClientId ??= "wp-agent";
        _producer = new ProducerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) => logger.LogWarning("Kafka producer: {Reason}", error.Reason))
            .Build();
        _batches = codecs.For<RawEventBatch>();
        _containers = codecs.For<ContainerInfo>();
        _metrics = metrics;
        _logger = logger;
    }

    public void Publish(RawEventBatch batch)
    {
        var value = _batches.Serialize(batch);
        Produce(Topics.EventsRaw, batch.Container.Id, value);
        _metrics.PublishedBytes.WithLabels(AgentMetrics.ScopeOf(batch)).Inc(value.Length);
    }

    public void Publish(ContainerInfo container) => Produce(Topics.Containers, container.Container.Id, _containers.Serialize(container));

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        _producer.Flush(cancellationToken);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _producer.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Produce(string topic, string key, byte[] value)
    {
        var message = new Message<string, byte[]> { Key = key, Value = value };
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        _metrics.PublishFailures.Inc();
                        _logger.LogError("Delivery to {Topic} failed for {Key}: {Reason}", topic, key, report.Error.Reason);
                    }
                });
                return;
            }
            catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // Back-pressure: let librdkafka drain instead of dropping; the kernel ring buffer absorbs the pause
                // and counts what it cannot hold.
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }
}
