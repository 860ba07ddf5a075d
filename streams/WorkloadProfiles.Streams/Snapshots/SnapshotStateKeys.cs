using System.Globalization;
using System.Text;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Snapshots;

/// <summary>
/// Layout of the snapshot job's changelog-backed store (one store per input partition):
/// <list type="bullet">
/// <item><c>b|{container}|{offset}</c> → the stream time the batch was applied at + raw batch bytes feeding a still-open
/// window (the journal);</item>
/// <item><c>h|{container}|{offset}</c> → wall-clock receipt time + raw batch bytes held for image resolution;</item>
/// <item><c>m|{container}</c> → <see cref="ContainerMeta"/>: resolved image, closed watermark, last offset, lineage base;</item>
/// <item><c>d|{container}</c> → the container's drift ledger (what drift it already reported in its current window);</item>
/// <item><c>o|{sequence}</c> → an output not yet known to be delivered (<see cref="Plumbing.Outbox"/>).</item>
/// </list>
/// Storing the input bytes (not a serialized builder) keeps the per-batch cost at one put of bytes the job already has,
/// and a restart rebuilds open windows by replaying them: keys are input offsets, so a redelivered batch overwrites
/// itself instead of counting twice.
/// </summary>
internal static class SnapshotStateKeys
{
    public const char Journal = 'b';
    public const char Held = 'h';
    public const char Meta = 'm';
    public const char Drift = 'd';
    public const string OutboxPrefix = "o|";

    public static string JournalKey(string containerId, long offset) => Compose(Journal, containerId, offset);

    public static string HeldKey(string containerId, long offset) => Compose(Held, containerId, offset);

    public static string MetaKey(string containerId) => $"{Meta}|{containerId}";

    public static string DriftKey(string containerId) => $"{Drift}|{containerId}";

    static string Compose(char kind, string containerId, long offset) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind}|{containerId}|{offset:D20}");

    /// <summary>Splits a store key into its kind, container id and (for journal and held keys) offset.</summary>
    public static bool TryParse(string key, out char kind, out string containerId, out long offset)
    {
        kind = default;
        containerId = "";
        offset = -1;
        if (key.Length < 3 || key[1] != '|')
        {
            return false;
        }

        kind = key[0];
        if (kind is Meta or Drift)
        {
            containerId = key[2..];
            return true;
        }

        var split = key.LastIndexOf('|');
        if (split <= 2 || !long.TryParse(key.AsSpan(split + 1), NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            return false;
        }

        containerId = key[2..split];
        return kind is Journal or Held;
    }

    /// <summary>First byte of a journal entry that carries its stream time: neither Avro framing starts with it (0xC3, 0x00).</summary>
    const byte JournalWithStreamTime = 0xFF;

    /// <remarks>An entry lives as long as its window (30 minutes by default) in the in-memory store: allocated on the pinned
    /// object heap, the GC never copies it from generation to generation (the pipeline bench's gen-1 collections fell from
    /// 7-8 to 4-5 a round); every byte is written below, so it needs no clearing either.</remarks>
    public static byte[] EncodeJournal(long streamTimeUs, byte[] raw)
    {
        var value = GC.AllocateUninitializedArray<byte>(9 + raw.Length, pinned: true);
        value[0] = JournalWithStreamTime;
        BitConverter.TryWriteBytes(value.AsSpan(1), streamTimeUs);
        raw.CopyTo(value, 9);
        return value;
    }

    /// <summary>The stream time a journaled batch was applied at (null for entries written before it was kept) and its bytes.</summary>
    public static (long? StreamTimeUs, byte[] Raw) DecodeJournal(byte[] value) =>
        value.Length >= 9 && value[0] == JournalWithStreamTime ? (BitConverter.ToInt64(value, 1), value[9..]) : (null, value);

    public static byte[] EncodeHeld(long receivedWallMs, byte[] raw)
    {
        var value = new byte[8 + raw.Length];
        BitConverter.TryWriteBytes(value, receivedWallMs);
        raw.CopyTo(value, 8);
        return value;
    }

    public static (long ReceivedWallMs, byte[] Raw) DecodeHeld(byte[] value) =>
        (BitConverter.ToInt64(value, 0), value[8..]);
}

/// <summary>
/// What must survive a restart about a container beyond its journal: the resolved image, the closed watermark, the last
/// applied offset and the lineage base — the container's process table as it was just before the journal's first
/// batch (<see cref="LineageOffset"/>), so replaying the journal on top of it rebuilds the same process tree even for
/// processes started in windows that closed long ago. It also keeps the task's stream time when it was written, so stream
/// time survives a restart even when no journal entry is left to replay.
/// </summary>
internal sealed record ContainerMeta(
    ContainerRef? Container, string HostName, long ClosedUpToUs, long LastOffset, long LineageOffset, ProcessTableState Lineage,
    long StreamTimeUs = long.MinValue)
{
    // 2: the release before this one (a representative process per node). 4: each live pid's own process image, and the
    // task's stream time.
    const byte Version = 4;

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Version);
            writer.Write(Container?.Id ?? "");
            writer.Write(Container?.ImageName ?? "");
            writer.Write(Container?.ImageTag ?? "");
            writer.Write(HostName);
            writer.Write(ClosedUpToUs);
            writer.Write(LastOffset);
            writer.Write(LineageOffset);
            LineageEncoding.Write(writer, Lineage);
            writer.Write(StreamTimeUs);
        }

        return buffer.ToArray();
    }

    public static ContainerMeta Decode(byte[] value)
    {
        using var reader = new BinaryReader(new MemoryStream(value), Encoding.UTF8);
        var version = reader.ReadByte();
        if (version is not (2 or Version))
        {
            throw new InvalidDataException($"Unknown snapshot-job container state version {version}.");
        }

        var id = reader.ReadString();
        var image = reader.ReadString();
        var tag = reader.ReadString();
        var host = reader.ReadString();
        var closedUpTo = reader.ReadInt64();
        var lastOffset = reader.ReadInt64();
        var lineageOffset = reader.ReadInt64();
        var lineage = version == 2 ? LineageEncoding.ReadBeforeImages(reader) : LineageEncoding.Read(reader);
        var streamTime = version >= 4 ? reader.ReadInt64() : long.MinValue;
        var container = image.Length > 0 && tag.Length > 0 ? new ContainerRef(id, image, tag) : null;
        return new ContainerMeta(container, host, closedUpTo, lastOffset, lineageOffset, lineage, streamTime);
    }
}
