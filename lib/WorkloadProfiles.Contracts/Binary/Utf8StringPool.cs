using System.IO.Hashing;
using System.Text;

namespace WorkloadProfiles.Contracts.Binary;

/// <summary>
/// The strings a decoding thread met recently, by their UTF-8 bytes: a raw event batch repeats the same few paths,
/// program names, argv and container fields over and over, so decoding hands out one shared instance per value instead
/// of a new string per event. That saves the allocation, keeps long-lived state (lineage, leaf caches) from pinning a
/// copy per event, and lets the caches downstream compare by reference first.
/// </summary>
/// <remarks>
/// Direct-mapped and per thread (no locks; a stream thread decodes its own records): a slot holds the last string whose
/// bytes hashed to it, a miss decodes and replaces it. Bounded in memory (<see cref="Slots"/> strings of at most
/// <see cref="MaxBytes"/> bytes per thread); longer strings are decoded as before. A string is only ever returned for
/// exactly the bytes it was decoded from, so the result equals a fresh decode.
/// </remarks>
internal sealed class Utf8StringPool
{
    public const int Slots = 4_096;
    public const int MaxBytes = 256;

    [ThreadStatic]
    private static Utf8StringPool? t_current;

    private readonly Entry[] _entries;

    /// <param name="slots">A power of two: strings kept at once.</param>
    internal Utf8StringPool(int slots = Slots)
    {
        if (slots <= 0 || (slots & (slots - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(slots), slots, "must be a power of two");
        _entries = new Entry[slots];
    }

    /// <summary>The calling thread's pool.</summary>
    public static Utf8StringPool Current => t_current ??= new Utf8StringPool();

    /// <summary>The string of <paramref name="utf8"/>: the pooled instance when these bytes were decoded recently.</summary>
    /// <exception cref="DecoderFallbackException">The bytes are not valid UTF-8 (from <paramref name="encoding"/>).</exception>
    public string Get(ReadOnlySpan<byte> utf8, UTF8Encoding encoding)
    {
        if (utf8.IsEmpty) return "";
        if (utf8.Length > MaxBytes) return encoding.GetString(utf8);
        ref var entry = ref _entries[(int)(XxHash3.HashToUInt64(utf8) & (uint)(_entries.Length - 1))];
        if (entry.Value is not null && utf8.SequenceEqual(entry.Bytes)) return entry.Value;
        var value = encoding.GetString(utf8);
        entry.Bytes = utf8.ToArray();
        entry.Value = value;
        return value;
    }

    private struct Entry
    {
        public byte[] Bytes;
        public string? Value;
    }
}
