using System.Collections.Concurrent;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Crosscutting;
using Streamiz.Kafka.Net.Processors;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.State.InMemory;
using Streamiz.Kafka.Net.State.Supplier;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// How many commits each task store has been through. A Streamiz (1.8) commit flushes the task's stores, then its
/// producer (waiting for every delivery), then commits the input offsets, on the stream thread; the checkpoint after a
/// commit flushes the stores again. So a processor that sees its store flushed since it sent a record knows the record
/// was delivered. Streamiz tells a processor nothing of its commits; the stores it flushes, made by
/// <see cref="Supplier"/>, count them here.
/// </summary>
public sealed class StoreCommits
{
    readonly ConcurrentDictionary<(string Store, int Partition), long> _flushes = new();

    /// <summary>The supplier of an in-memory store whose flushes are counted.</summary>
    public IKeyValueBytesStoreSupplier Supplier(string name) => new CountingSupplier(this, name);

    /// <summary>A task's store was flushed: its task is committing.</summary>
    internal void Flushed(string store, int partition) => _flushes.AddOrUpdate((store, partition), 1, static (_, count) => count + 1);

    /// <summary>How many times the task store has been flushed in this instance so far.</summary>
    internal long Count(string store, int partition) => _flushes.GetValueOrDefault((store, partition));

    sealed class CountingSupplier(StoreCommits commits, string name) : IKeyValueBytesStoreSupplier
    {
        public string Name { get; set; } = name;

        public string MetricsScope => "in-memory";

        public IKeyValueStore<Bytes, byte[]> Get() => new CountingStore(commits, Name);
    }

    /// <summary>Streamiz's in-memory store, which learns its task's partition at <c>Init</c> and counts its flushes.</summary>
    sealed class CountingStore(StoreCommits commits, string name) : InMemoryKeyValueStore(name), IStateStore
    {
        int _partition = -1;

        // Re-implemented, not overridden (the base's Init is not virtual): the layers above call it through IStateStore.
        void IStateStore.Init(ProcessorContext context, IStateStore root)
        {
            _partition = context.Id.Partition;
            base.Init(context, root);
        }

        public override void Flush()
        {
            base.Flush();
            if (_partition >= 0)
            {
                commits.Flushed(Name, _partition);
            }
        }
    }
}
