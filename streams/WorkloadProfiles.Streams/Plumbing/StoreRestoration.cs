using System.Collections.Concurrent;
using Streamiz.Kafka.Net;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// Which task stores have been restored from their changelogs. Streamiz (1.8) creates a task's processors when the task is
/// assigned and punctuates them from the next loop of the stream thread whatever the task's state, while it restores the
/// stores a poll at a time over many loops; only records wait for the restore. Nor does the instance's state say when a
/// restore is over: a stream thread turns RUNNING at the end of the first loop after an assignment, restored or not. A
/// processor that rebuilds its in-memory state from its store on first use must therefore not do so in a punctuation
/// until its own store's restore has ended: it would start from a prefix of the changelog — after a crash, typically an
/// empty store — and keep that state for good, while the redelivery skips what the changelog still held.
/// </summary>
/// <remarks>
/// Streamiz reports the end of each changelog partition's restore (<see cref="KafkaStream.OnRestoreEndEvent"/>), on the
/// stream thread that restores it, also for an empty changelog; a task created again later is restored again. A
/// processor takes a <see cref="Watch"/> of its store's partition when it is created (it notes the restores ended so far)
/// and waits for a later one. Until a host follows its stream, punctuations wait for the first record, which Streamiz
/// processes only in a restored task.
/// </remarks>
public sealed class StoreRestoration
{
    readonly ConcurrentDictionary<(string Store, int Partition), long> _ended = new();

    /// <summary>Follows <paramref name="stream"/>'s restores (before it starts).</summary>
    public void Follow(KafkaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.OnRestoreEndEvent += (changelog, store, _) => Ended(store, changelog.Partition.Value);
    }

    /// <summary>A restore of <paramref name="store"/>'s partition <paramref name="partition"/> ended.</summary>
    internal void Ended(string store, int partition) => _ended.AddOrUpdate((store, partition), 1, static (_, count) => count + 1);

    /// <summary>Taken when a task's processor is created: whether its store's partition has been restored since.</summary>
    internal Watch WatchFrom(string store, int partition) => new(this, store, partition, EndedRestores(store, partition));

    /// <summary>How many restores of the store's partition have ended in this instance so far.</summary>
    long EndedRestores(string store, int partition) => _ended.GetValueOrDefault((store, partition));

    /// <summary>One task store's restore, from the moment its processor was created.</summary>
    internal sealed class Watch(StoreRestoration restoration, string store, int partition, long endedBefore)
    {
        /// <summary>A restore of the store ended after the watch began: what the store holds is the whole changelog.</summary>
        public bool Restored => restoration.EndedRestores(store, partition) > endedBefore;
    }
}
