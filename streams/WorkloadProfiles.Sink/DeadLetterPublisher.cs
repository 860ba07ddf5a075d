using System.Text;
using Confluent.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;

namespace WorkloadProfiles.Sink;

/// <summary>Writes records the sink cannot store to the dead-letter topic, whole, with the reason; awaits the broker's ack.</summary>
internal sealed class DeadLetterPublisher(IProducer<byte[], byte[]> producer, IAvroCodec<DeadLetter> codec, string topic, SinkMetrics metrics)
{
    public const string ConsumerName = "clickhouse-sink";

    /// <summary>ClickHouse answered but refused the row.</summary>
    public const string ClickHouseRejected = "clickhouse-rejected";

    /// <summary>The record decoded but its value could not be turned into rows.</summary>
    public const string Unmappable = "unmappable";

    public async Task PublishAsync(ConsumeResult<byte[]?, byte[]?> source, string reason, string detail, CancellationToken cancellationToken)
    {
        var letter = new DeadLetter
        {
            SourceTopic = source.Topic,
            Partition = source.Partition.Value,
            Offset = source.Offset.Value,
            Key = source.Message.Key,
            Value = source.Message.Value,
            Reason = reason,
            Detail = detail,
            Consumer = ConsumerName,
            TimestampUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000,
        };
        await producer.ProduceAsync(topic, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes(source.Topic),
            Value = codec.Serialize(letter),
        }, cancellationToken);
        metrics.DeadLetter(reason);
    }
}
