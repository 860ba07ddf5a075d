using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;

namespace WorkloadProfiles.Sink;

/// <summary>
/// Writes records the sink cannot store to the dead-letter topic with the reason, bounded by <c>DeadLetter:MaxBytes</c>
/// (size, hash and first bytes of the record: a dead letter cannot fail on size), and awaits the broker's ack. The sink
/// commits past a record only once its dead letter is acknowledged, so while the broker refuses it is retried, never lost.
/// </summary>
internal sealed class DeadLetterPublisher(
    IProducer<byte[], byte[]> producer, IAvroCodec<DeadLetter> codec, string topic, SinkMetrics metrics, DeadLetterBound bound, ILogger logger)
{
    public const string ConsumerName = "clickhouse-sink";

    /// <summary>ClickHouse answered but refused the row.</summary>
    public const string ClickHouseRejected = "clickhouse-rejected";

    /// <summary>The record decoded but its value could not be turned into rows.</summary>
    public const string Unmappable = "unmappable";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    public async Task PublishAsync(ConsumeResult<byte[]?, byte[]?> source, string reason, string detail, CancellationToken cancellationToken)
    {
        var letter = DeadLetter.Of(bound, source.Topic, source.Partition.Value, source.Offset.Value, source.Message.Key, source.Message.Value,
            reason, detail, ConsumerName, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
        var message = new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(letter.SourceTopic), Value = codec.Serialize(letter) };
        for (var backoff = TimeSpan.FromMilliseconds(200); ; backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff)
        {
            try
            {
                await producer.ProduceAsync(topic, message, cancellationToken);
                break;
            }
            catch (ProduceException<byte[], byte[]> ex) when (!ex.Error.IsFatal && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Dead letter for {Source} not accepted ({Error}); retrying in {Delay} ms",
                    source.TopicPartitionOffset, ex.Error.Reason, (int)backoff.TotalMilliseconds);
                await Task.Delay(backoff, cancellationToken);
            }
        }

        metrics.DeadLetter(letter.Reason);
    }
}
