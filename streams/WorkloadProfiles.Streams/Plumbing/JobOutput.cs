using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>The input record an output or a dead letter stems from: where it was read, its key and its bytes.</summary>
internal readonly record struct Source(TopicPartitionOffset? Position, string? Key, byte[]? Value)
{
    /// <summary>A record of <paramref name="topic"/> known only by position (e.g. a batch whose bytes are in the journal).</summary>
    public static Source At(string topic, int partition, long offset, string? key) =>
        new(new TopicPartitionOffset(topic, partition, offset), key, null);
}

/// <summary>
/// Everything one job's processor sends, through one dynamic-topic sink: results and dead letters alike. Every record is
/// checked against <see cref="RecordLimits"/> before it is forwarded, so no input can make the job produce a record the
/// broker refuses (which would fail the stream thread on every restart); a result that cannot be encoded or is too
/// large dead-letters the input it came from instead. Dead letters are bounded (<see cref="Domain.DeadLetter.Of"/>).
/// </summary>
internal sealed class JobOutput(string job, string consumer, PipelineCodecs codecs, StreamsMetrics metrics, RecordLimits limits, ILogger log)
{
    /// <summary>Reason of a dead letter for an input whose processing threw: a bug, but never a stopped pipeline.</summary>
    public const string ProcessingFailed = "processing-failed";

    ProcessorContext<string, Outgoing> _context = null!;
    Outbox? _outbox;

    public string Job => job;

    public RecordLimits Limits => limits;

    public void Init(ProcessorContext<string, Outgoing> context) => _context = context;

    /// <summary>
    /// From now on every record sent is kept first in an outbox in <paramref name="store"/> under keys starting with
    /// <paramref name="prefix"/>, until <paramref name="commits"/> (the store's flush count) moves (see <see cref="Outbox"/>).
    /// </summary>
    public Outbox KeepIn(IKeyValueStore<string, byte[]> store, string prefix, Func<long> commits) =>
        _outbox = new Outbox(store, prefix, commits, metrics.OutboxPending.WithLabels(job));

    /// <summary>Sends again what a restored outbox held (<see cref="Outbox.Restore"/>): it is in the store already.</summary>
    public void Resend(IEnumerable<(string Key, Outgoing Value)> outputs)
    {
        foreach (var (key, value) in outputs)
        {
            _context.Forward(key, value);
            metrics.OutboxResent.WithLabels(job).Inc();
        }
    }

    /// <summary>Encodes <paramref name="value"/> and forwards it to <paramref name="topic"/>; false (and the source dead-lettered) when it cannot be.</summary>
    public bool Send<T>(string key, string topic, IAvroCodec<T> codec, T value, in Source source) where T : class
    {
        byte[] encoded;
        try
        {
            encoded = codec.Serialize(value);
        }
        catch (ContractException e)
        {
            DeadLetter(source, e.Reason, $"the {topic} record it produced cannot be written: {e.Message}");
            return false;
        }

        return Send(key, topic, encoded, source);
    }

    /// <summary>Forwards an encoded value; false (and the source dead-lettered as <c>oversized</c>) when it is over the bound.</summary>
    public bool Send(string key, string topic, byte[] value, in Source source)
    {
        var keyBytes = Encoding.UTF8.GetByteCount(key);
        if (value.Length > limits.MaxValueBytes || keyBytes > RecordLimits.KeyRoom / 2)
        {
            DeadLetter(source, ContractErrorReasons.Oversized,
                $"the {topic} record it produced has a {keyBytes}-byte key and a {value.Length}-byte value; the bound is " +
                $"{limits.MaxValueBytes} bytes of value (Kafka:MaxMessageBytes {limits.MaxMessageBytes} minus {RecordLimits.KeyRoom} for the key)");
            return false;
        }

        Forward(key, new Outgoing(topic, value));
        return true;
    }

    /// <summary>Dead-letters <paramref name="source"/> with a bounded letter (key = source topic) and counts it.</summary>
    public void DeadLetter(in Source source, string reason, string detail)
    {
        var position = source.Position;
        var letter = Domain.DeadLetter.Of(limits.DeadLetters, position?.Topic ?? "", position?.Partition.Value ?? -1,
            position?.Offset.Value ?? -1, source.Key is null ? null : Encoding.UTF8.GetBytes(source.Key), source.Value,
            reason, detail, consumer, _context.WallClockTime * 1000);
        metrics.DeadLetters.WithLabels(consumer, letter.Reason).Inc();
        Forward(letter.SourceTopic, new Outgoing(PipelineTopics.DeadLetter.Name, codecs.DeadLetters.Serialize(letter)));
    }

    /// <summary>
    /// Why an input is too large to take in (its state — a journal entry, a stored profile — could not be written to a
    /// changelog, and what it produces could not be written either), or null when it is not.
    /// </summary>
    public string? OversizedProblem(in Source source)
    {
        var valueBytes = source.Value?.Length ?? 0;
        var keyBytes = source.Key is null ? 0 : Encoding.UTF8.GetByteCount(source.Key);
        return valueBytes <= limits.MaxValueBytes && keyBytes <= limits.MaxKeyBytes
            ? null
            : $"a {keyBytes}-byte key and a {valueBytes}-byte value; the jobs take in at most {limits.MaxKeyBytes} and " +
              $"{limits.MaxValueBytes} bytes (Kafka:MaxMessageBytes {limits.MaxMessageBytes})";
    }

    /// <summary>Dead-letters an input that is too large to take in; true when it was.</summary>
    public bool RefuseOversized(in Source source)
    {
        if (OversizedProblem(source) is not { } problem)
        {
            return false;
        }

        DeadLetter(source, ContractErrorReasons.Oversized, problem);
        return true;
    }

    /// <summary>A record whose processing threw: dead-lettered and counted, so the job skips it and commits past it.</summary>
    public void Failed(in Source source, Exception exception)
    {
        metrics.Failures.WithLabels(job, "record").Inc();
        log.LogError(exception, "{Job}: processing {Position} failed; the record is dead-lettered and skipped", job, source.Position);
        DeadLetter(source, ProcessingFailed, $"{exception.GetType().Name}: {exception.Message}");
    }

    /// <summary>Wraps a punctuator so an exception is logged and counted instead of failing the stream thread.</summary>
    public Action<long> Guard(Action<long> punctuator) => now =>
    {
        try
        {
            punctuator(now);
        }
        catch (Exception e) when (TaskGuard.IsOurs(e))
        {
            metrics.Failures.WithLabels(job, "punctuation").Inc();
            log.LogError(e, "{Job}: a punctuation failed; it runs again at the next interval", job);
        }
    };

    void Forward(string key, Outgoing value)
    {
        _outbox?.Add(key, value);
        _context.Forward(key, value);
        metrics.RecordsOut.WithLabels(job, value.Topic).Inc();
    }
}
