using System.Text;

namespace WorkloadProfiles.Domain;

/// <summary>
/// Upper bounds of the Avro encoding of snapshots and profiles (<c>schemas/*.avsc</c>), so the domain can keep a record
/// under a byte budget while it builds it instead of finding out when the broker refuses it. Every varint counts at its
/// widest (10 bytes for a long, 5 for a length), every enum and boolean as one byte; framing (10 bytes single-object,
/// 5 Confluent) and array block headers are in <see cref="RecordOverhead"/>.
/// </summary>
public static class EncodedSize
{
    /// <summary>Framing and the block headers of up to eight arrays.</summary>
    public const int RecordOverhead = 10 + 8 * 20;

    /// <summary>A string or bytes field: length prefix plus content.</summary>
    public static int Text(string? text) => 5 + (text is null ? 0 : Encoding.UTF8.GetByteCount(text));

    /// <summary>A snapshot node without its key and signature strings: id, parent id, kind, event count, first/last seen,
    /// access, the signatures' array block header and overflow flag.</summary>
    public const int SnapshotNodeFixed = 10 + 10 + 1 + 10 + 10 + 10 + 1 + 10 + 1;

    /// <summary>
    /// A snapshot without its nodes and identity strings: window, event times, counts, flags, the nullable image group
    /// and the key-truncation counter.
    /// </summary>
    public const int SnapshotFixed = RecordOverhead + 4 * 10 + 5 * 10 + 2 + 2 + 10;

    /// <summary>A profile node without its key, container bits and signatures: ids, kind, three counts, first/last seen,
    /// access, two commonalities, the bits' length prefix, the signatures' array block header and overflow flag.</summary>
    public const int ProfileNodeFixed = 10 + 10 + 1 + 3 * 10 + 2 * 10 + 1 + 2 * 8 + 5 + 10 + 1;

    /// <summary>A profile node's signature without its text: snapshot count and commonality.</summary>
    public const int ProfileSignatureFixed = 10 + 8;

    /// <summary>A profile without its nodes, lists and image strings: status, counts, times, commonality, revision.</summary>
    public const int ProfileFixed = RecordOverhead + 1 + 5 * 10 + 2 * 10 + 11 + 8 + 10;
}
