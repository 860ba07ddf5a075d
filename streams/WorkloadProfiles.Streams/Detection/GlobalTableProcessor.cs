using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Detection;

/// <summary>
/// Keeps a global store of a compacted table topic (<c>wp.suppressions</c>, <c>wp.containers</c>) and the in-memory view
/// the detection tasks share in step. Streamiz re-runs this processor over the topic when it restores the global store,
/// so the view is complete after a restart. A value that cannot be decoded is counted and skipped: the topic is a table,
/// dead-lettering it on every restore would repeat it.
/// </summary>
internal sealed class GlobalTableProcessor<T>(string table, Action<T> apply, Action<string> remove, StreamsMetrics metrics)
    : IProcessor<string, Decoded<T>>, ISkipsFailedRecords<string, Decoded<T>> where T : class
{
    IKeyValueStore<string, Decoded<T>> _store = null!;

    public static string StoreName(string table) => $"{table}-global";

    /// <summary>Streamiz requires a global store typed like its source; the serde writes back the raw bytes.</summary>
    public static IStoreBuilder<IKeyValueStore<string, Decoded<T>>> StoreBuilder(string table, IAvroCodec<T> codec) =>
        Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(StoreName(table)), new StringSerDes(), new DecodingSerDes<T>(codec))
            .WithLoggingDisabled();

    public void Init(ProcessorContext<string, Decoded<T>> context) =>
        _store = (IKeyValueStore<string, Decoded<T>>)context.GetStateStore(StoreName(table));

    public void Process(Record<string, Decoded<T>> record)
    {
        var decoded = record.Value;
        if (decoded.IsTombstone)
        {
            remove(record.Key);
            _store.Delete(record.Key);
            return;
        }

        if (decoded.Value is null)
        {
            metrics.SkippedRecords.WithLabels(table, decoded.FailureReason ?? "undecodable").Inc();
            return;
        }

        apply(decoded.Value);
        _store.Put(record.Key, decoded);
    }

    /// <summary>The global thread has no dead-letter path: an update that throws is counted and skipped.</summary>
    public void Skip(Record<string, Decoded<T>> record, Exception exception) =>
        metrics.SkippedRecords.WithLabels(table, JobOutput.ProcessingFailed).Inc();

    public void Close()
    {
    }
}
