using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Prometheus;
using Streamiz.Kafka.Net.State;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// A job's outputs kept in its changelog-backed store until a commit has delivered them, for a job whose redelivery
/// cannot produce them again.
/// </summary>
/// <remarks>
/// <para>
/// The snapshot job recognises a batch redelivered after a crash by its stored state (the batch is journaled, or its
/// window already closed) and skips it. Its outputs and its state go out through one producer, but to different
/// partitions, which a crash can cut apart: the store's changelog may hold a window's close while the snapshot it sent
/// never reached <c>wp.snapshots</c>, and the redelivery, skipped, would not send it again — a snapshot lost for good.
/// So every output is first put in the store (before the state changes it stems from, so the changelog, in order,
/// never holds those without it), and a restored store sends again what it holds; downstream a repeat collapses
/// (snapshot and signal ids, dead letters by source). An entry is deleted once its store has been flushed after it was
/// sent (<see cref="StoreCommits"/>): Streamiz flushes a task's stores in a commit, just before it flushes the producer
/// (waiting for every delivery), or in the checkpoint right after a commit, all on the stream thread, so by the time the
/// processor runs again and sees the flush, what it sent before was delivered.
/// </para>
/// <para>Key: <c>{prefix}{sequence:D20}</c>; value: key length (int32, big-endian), key, topic length, topic, value (the
/// rest; a tombstone is not kept).</para>
/// </remarks>
internal sealed class Outbox(IKeyValueStore<string, byte[]> store, string prefix, Func<long> commits, Gauge.Child? pending = null)
{
    readonly Queue<(string StoreKey, long SentAtCommit)> _pending = new();
    long _next;

    /// <summary>Whether <paramref name="storeKey"/> is one of this outbox's keys.</summary>
    public bool Owns(string storeKey) => storeKey.StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>Keeps an output about to be sent.</summary>
    public void Add(string key, Outgoing value)
    {
        if (value.Value is null)
        {
            return;
        }

        var storeKey = StoreKey(_next++);
        store.Put(storeKey, Encode(key, value));
        _pending.Enqueue((storeKey, commits()));
        pending?.Inc();
    }

    /// <summary>
    /// The outputs a restored store holds (its entries whose keys this outbox <see cref="Owns"/>), oldest first, to be sent
    /// again; they stay until the next commit. Called once, after the restore, before anything is added.
    /// </summary>
    public List<(string Key, Outgoing Value)> Restore(IEnumerable<KeyValuePair<string, byte[]>> entries)
    {
        var now = commits();
        var restored = new List<(long Sequence, string StoreKey, string Key, Outgoing Value)>();
        foreach (var (storeKey, value) in entries)
        {
            if (long.TryParse(storeKey.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                var (key, outgoing) = Decode(value);
                restored.Add((sequence, storeKey, key, outgoing));
            }
        }

        restored.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        foreach (var entry in restored)
        {
            _pending.Enqueue((entry.StoreKey, now));
            _next = Math.Max(_next, entry.Sequence + 1);
        }

        pending?.Inc(restored.Count);

        return [.. restored.Select(e => (e.Key, e.Value))];
    }

    /// <summary>Deletes the entries a commit has delivered.</summary>
    public void Confirm()
    {
        // Runs before every record: nothing to read while nothing waits.
        if (_pending.Count == 0)
        {
            return;
        }

        var now = commits();
        while (_pending.TryPeek(out var oldest) && now > oldest.SentAtCommit)
        {
            store.Delete(oldest.StoreKey);
            _pending.Dequeue();
            pending?.Dec();
        }
    }

    string StoreKey(long sequence) => string.Create(CultureInfo.InvariantCulture, $"{prefix}{sequence:D20}");

    internal static byte[] Encode(string key, Outgoing value)
    {
        var keyBytes = Encoding.UTF8.GetByteCount(key);
        var topicBytes = Encoding.UTF8.GetByteCount(value.Topic);
        var encoded = new byte[8 + keyBytes + topicBytes + value.Value!.Length];
        var span = encoded.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, keyBytes);
        Encoding.UTF8.GetBytes(key, span.Slice(4, keyBytes));
        BinaryPrimitives.WriteInt32BigEndian(span[(4 + keyBytes)..], topicBytes);
        Encoding.UTF8.GetBytes(value.Topic, span.Slice(8 + keyBytes, topicBytes));
        value.Value.CopyTo(span[(8 + keyBytes + topicBytes)..]);
        return encoded;
    }

    internal static (string Key, Outgoing Value) Decode(byte[] encoded)
    {
        var span = encoded.AsSpan();
        var keyBytes = BinaryPrimitives.ReadInt32BigEndian(span);
        var key = Encoding.UTF8.GetString(span.Slice(4, keyBytes));
        var topicBytes = BinaryPrimitives.ReadInt32BigEndian(span[(4 + keyBytes)..]);
        var topic = Encoding.UTF8.GetString(span.Slice(8 + keyBytes, topicBytes));
        return (key, new Outgoing(topic, span[(8 + keyBytes + topicBytes)..].ToArray()));
    }
}
