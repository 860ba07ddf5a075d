using WorkloadProfiles.Contracts;
using System.Text;
using Confluent.Kafka;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>Turns a record a job cannot process into a <c>wp.deadletter</c> record (key = source topic) and counts it.</summary>
internal sealed class DeadLetterSink(string consumer, IAvroCodec<DeadLetter> codec, StreamsMetrics metrics)
{
    public string Consumer { get; } = consumer;

    /// <summary>Builds the dead letter; the caller forwards it with the returned key.</summary>
    public (string Key, Outgoing Value) Create(TopicPartitionOffset? source, string? key, byte[]? value,
        string reason, string detail, long nowMs)
    {
        var topic = source?.Topic ?? "";
        var letter = new DeadLetter
        {
            SourceTopic = topic,
            Partition = source?.Partition.Value ?? -1,
            Offset = source?.Offset.Value ?? -1,
            Key = string.IsNullOrEmpty(key) ? null : Encoding.UTF8.GetBytes(key),
            Value = value,
            Reason = reason,
            Detail = detail,
            Consumer = Consumer,
            TimestampUs = nowMs * 1000,
        };
        metrics.DeadLetters.WithLabels(Consumer, reason).Inc();
        return (topic, new Outgoing(PipelineTopics.DeadLetter.Name, codec.Serialize(letter)));
    }
}
