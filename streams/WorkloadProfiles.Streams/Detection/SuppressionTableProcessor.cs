using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Detection;

/// <summary>
/// Keeps the global <c>wp.suppressions</c> store and the engines' shared <see cref="SuppressionSet"/> in step. Streamiz
/// re-runs this processor over the topic when it restores the global store, so the set is complete after a restart.
/// A suppression that cannot be decoded is counted and skipped: the topic is a table, dead-lettering it on every
/// restore would repeat it.
/// </summary>
internal sealed class SuppressionTableProcessor(SuppressionSet suppressions, StreamsMetrics metrics)
    : IProcessor<string, Decoded<Suppression>>, ISkipsFailedRecords<string, Decoded<Suppression>>
{
    public const string StoreName = "suppressions-global";

    IKeyValueStore<string, Decoded<Suppression>> _store = null!;

    /// <summary>Streamiz requires a global store typed like its source; the serde writes back the raw bytes.</summary>
    public static IStoreBuilder<IKeyValueStore<string, Decoded<Suppression>>> StoreBuilder(IAvroCodec<Suppression> codec) =>
        Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(StoreName), new StringSerDes(), new DecodingSerDes<Suppression>(codec))
            .WithLoggingDisabled();

    public void Init(ProcessorContext<string, Decoded<Suppression>> context) =>
        _store = (IKeyValueStore<string, Decoded<Suppression>>)context.GetStateStore(StoreName);

    public void Process(Record<string, Decoded<Suppression>> record)
    {
        var decoded = record.Value;
        if (decoded.IsTombstone)
        {
            suppressions.Remove(record.Key);
            _store.Delete(record.Key);
            return;
        }

        if (decoded.Value is null)
        {
            metrics.SkippedRecords.WithLabels("suppressions", decoded.FailureReason ?? "undecodable").Inc();
            return;
        }

        suppressions.Apply(decoded.Value);
        _store.Put(record.Key, decoded);
    }

    /// <summary>The global thread has no dead-letter path: a suppression whose update throws is counted and skipped.</summary>
    public void Skip(Record<string, Decoded<Suppression>> record, Exception exception) =>
        metrics.SkippedRecords.WithLabels("suppressions", JobOutput.ProcessingFailed).Inc();

    public void Close()
    {
    }
}
