using Confluent.Kafka;
using Microsoft.Extensions.Options;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Explorer.Suppressions;

/// <summary>The broker did not acknowledge a suppression write.</summary>
public sealed class SuppressionPublishException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// Writes <see cref="Suppression"/> records to the compacted suppressions topic (key = suppression id, value = the
/// Contracts Avro codec) and waits for the broker's acknowledgement, so a 2xx answer means the rules engine will see it.
/// </summary>
public sealed class SuppressionPublisher : IDisposable
{
    private readonly IProducer<string, byte[]> producer;
    private readonly IAvroCodec<Suppression> codec;
    private readonly string topic;
    private readonly TimeSpan timeout;

    public SuppressionPublisher(IOptions<ExplorerOptions> explorer, KafkaOptions kafka, AvroCodecs codecs, ILogger<SuppressionPublisher> logger)
    {
        var options = explorer.Value;
        topic = options.SuppressionsTopic;
        timeout = TimeSpan.FromMilliseconds(options.PublishTimeoutMs);
        codec = codecs.For<Suppression>(topic);
        var config = kafka.ToProducerConfig();
        config.Acks ??= Acks.All;
        config.EnableIdempotence ??= true;
        config.LingerMs ??= 0;
        config.MessageTimeoutMs ??= options.PublishTimeoutMs;
        producer = new ProducerBuilder<string, byte[]>(config).LogTo(logger).Build();
    }

    public string Topic => topic;

    public async Task PublishAsync(Suppression suppression, CancellationToken cancellationToken)
    {
        var message = new Message<string, byte[]> { Key = suppression.Id, Value = codec.Serialize(suppression) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await producer.ProduceAsync(topic, message, deadline.Token);
        }
        catch (ProduceException<string, byte[]> ex)
        {
            throw new SuppressionPublishException($"The broker refused suppression {suppression.Id} on {topic}: {ex.Error.Reason}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SuppressionPublishException($"The broker did not acknowledge suppression {suppression.Id} on {topic} within {timeout.TotalSeconds:0.#} s", ex);
        }
    }

    public void Dispose()
    {
        producer.Flush(TimeSpan.FromSeconds(5));
        producer.Dispose();
    }
}
