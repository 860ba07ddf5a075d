using System.IO.Hashing;

namespace WorkloadProfiles.Agent.Sensor;

/// <summary>
/// Interns decoded kernel strings by their bytes, so the hot path allocates a string only the first time a comm,
/// path or name is seen. Bounded: when full it starts over (strings already handed out stay valid).
/// Not thread-safe: owned by the polling thread.
/// </summary>
internal sealed class StringPool
{
    private readonly int _capacity;
    private readonly Dictionary<ulong, Entry> _entries;

    public StringPool(int capacity = 65_536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 16);
        _capacity = capacity;
        // Grows with use: a host's distinct strings are usually a few thousand, and the full capacity up front was a
        // 2.4 MB table on the large-object heap, most of the agent's live heap.
        _entries = new Dictionary<ulong, Entry>();
    }

    public int Count => _entries.Count;
    public long Hits { get; private set; }
    public long Misses { get; private set; }

    public string Get(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return "";
        var hash = XxHash3.HashToUInt64(bytes);
        if (_entries.TryGetValue(hash, out var entry) && bytes.SequenceEqual(entry.Bytes))
        {
            Hits++;
            return entry.Text;
        }
        Misses++;
        var text = KernelText.Decode(bytes);
        if (_entries.Count >= _capacity) _entries.Clear();
        _entries[hash] = new Entry(bytes.ToArray(), text);
        return text;
    }

    private readonly record struct Entry(byte[] Bytes, string Text);
}
