using Confluent.Kafka;
using Streamiz.Kafka.Net.Processors;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// The record timestamp Streamiz works with: the broker timestamp, or the wall clock when a record has none (negative).
/// Streamiz' default extractor fails the stream thread on such a record — and on every restart — and its alternatives
/// skip it silently; here it is processed, and the jobs judge its event times against the wall clock alone.
/// </summary>
public sealed class RecordTimestamps : ITimestampExtractor
{
    public long Extract(ConsumeResult<object, object> record, long partitionTime)
    {
        var timestamp = record.Message.Timestamp.UnixTimestampMs;
        return timestamp >= 0 ? timestamp : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }
}
