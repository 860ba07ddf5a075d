using System.Security.Cryptography;
using System.Text;

namespace WorkloadProfiles.Domain;

/// <summary>
/// The value of <c>wp.deadletter</c> (key = source topic): a record a consumer could not process, with the reason, so
/// nothing is silently dropped. Built with <see cref="Of"/>, which bounds it: the record's size and SHA-256 always, its
/// bytes only as far as <see cref="DeadLetterBound.MaxBytes"/> allows, so publishing a dead letter cannot fail on size.
/// </summary>
public sealed record DeadLetter
{
    public required string SourceTopic { get; init; }
    public int Partition { get; init; } = -1;
    public long Offset { get; init; } = -1;
    /// <summary>The key as received, or its first bytes when <see cref="KeySize"/> is larger.</summary>
    public byte[]? Key { get; init; }
    /// <summary>The value as received, or its first bytes when <see cref="ValueSize"/> is larger.</summary>
    public byte[]? Value { get; init; }
    /// <summary>A short machine-readable reason code, e.g. <c>malformed-avro</c>, <c>unknown-schema</c>, <c>oversized</c>, <c>image-unresolved</c>, <c>clickhouse-rejected</c>.</summary>
    public required string Reason { get; init; }
    /// <summary>The human-readable detail (exception message, limits).</summary>
    public string Detail { get; init; } = "";
    /// <summary>Which component dead-lettered it (snapshot job, sink, …).</summary>
    public required string Consumer { get; init; }
    public required long TimestampUs { get; init; }
    /// <summary>Bytes of the key as received (0 without a key); -1 when not known (letters written before the field existed).</summary>
    public long KeySize { get; init; } = -1;
    /// <summary>Bytes of the value as received (0 without a value); -1 when not known.</summary>
    public long ValueSize { get; init; } = -1;
    /// <summary>Lower-case hex SHA-256 of the whole value as received; empty without a value.</summary>
    public string ValueSha256 { get; init; } = "";

    /// <summary>True when <see cref="Value"/> holds only the first bytes of the record's value.</summary>
    public bool ValueTruncated => Value is not null && ValueSize > Value.Length;

    /// <summary>
    /// The dead letter of one record, within <paramref name="bound"/>: strings are cut (reason, consumer and topic to
    /// <see cref="DeadLetterBound.MaxNameChars"/>, the detail to <see cref="DeadLetterBound.MaxDetailBytes"/>) and stripped
    /// of lone surrogates (they could not be encoded), the key keeps at most <see cref="DeadLetterBound.MaxKeyBytes"/>,
    /// and the value as many bytes as the rest of the bound leaves. Never throws on content.
    /// </summary>
    public static DeadLetter Of(DeadLetterBound bound, string sourceTopic, int partition, long offset, byte[]? key, byte[]? value,
        string reason, string detail, string consumer, long timestampUs)
    {
        ArgumentNullException.ThrowIfNull(bound);
        var topic = Utf8Prefix.Sanitize(sourceTopic ?? "", DeadLetterBound.MaxNameChars * 3);
        var why = Utf8Prefix.Sanitize(string.IsNullOrEmpty(reason) ? "unclassified" : reason, DeadLetterBound.MaxNameChars * 3);
        var who = Utf8Prefix.Sanitize(consumer ?? "", DeadLetterBound.MaxNameChars * 3);
        var text = Utf8Prefix.Sanitize(detail ?? "", DeadLetterBound.MaxDetailBytes);
        var keyPrefix = key is null ? null : key.Length <= DeadLetterBound.MaxKeyBytes ? key : key[..DeadLetterBound.MaxKeyBytes];
        var hash = value is null ? "" : Convert.ToHexStringLower(SHA256.HashData(value));

        var fixedBytes = DeadLetterBound.Overhead + Encoding.UTF8.GetByteCount(topic) + Encoding.UTF8.GetByteCount(why) +
                         Encoding.UTF8.GetByteCount(who) + Encoding.UTF8.GetByteCount(text) + (keyPrefix?.Length ?? 0) + hash.Length;
        var room = Math.Max(0, bound.MaxBytes - fixedBytes);
        var valuePrefix = value is null ? null : value.Length <= room ? value : value[..room];
        return new DeadLetter
        {
            SourceTopic = topic,
            Partition = partition,
            Offset = offset,
            Key = keyPrefix,
            Value = valuePrefix,
            Reason = why,
            Detail = text,
            Consumer = who,
            TimestampUs = timestampUs,
            KeySize = key?.Length ?? 0,
            ValueSize = value?.Length ?? 0,
            ValueSha256 = hash,
        };
    }
}

/// <summary>How large a dead letter may get (configuration <c>DeadLetter:MaxBytes</c>).</summary>
public sealed record DeadLetterBound
{
    /// <summary>64 KiB: enough of a record to see what it was, far below any broker's message size.</summary>
    public const int DefaultMaxBytes = 64 * 1024;

    /// <summary>The smallest bound that still holds every field of a dead letter at its own limits.</summary>
    public const int MinMaxBytes = Overhead + 3 * MaxNameChars * 3 + MaxDetailBytes + MaxKeyBytes + 64;

    /// <summary>Longest topic, reason and consumer name kept, in characters (Kafka topic names are at most 249).</summary>
    public const int MaxNameChars = 255;

    /// <summary>Longest detail kept, in UTF-8 bytes.</summary>
    public const int MaxDetailBytes = 2048;

    /// <summary>Most key bytes kept.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>
    /// Upper bound of everything in an encoded dead letter besides the strings and bytes themselves: framing (10 bytes
    /// single-object, 5 Confluent), a length prefix per string or bytes field, union branches, the int and the longs.
    /// </summary>
    internal const int Overhead = 10 + 7 * 10 + 2 + 5 + 5 * 10 + 16;

    /// <summary>The largest encoded dead letter (framing included).</summary>
    public int MaxBytes { get; init; } = DefaultMaxBytes;

    public static DeadLetterBound Default { get; } = new();

    /// <summary>A bound of <paramref name="maxBytes"/>, refused below <see cref="MinMaxBytes"/>.</summary>
    public static DeadLetterBound Of(int maxBytes)
    {
        if (maxBytes < MinMaxBytes)
            throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, $"DeadLetter:MaxBytes must be at least {MinMaxBytes}.");
        return new DeadLetterBound { MaxBytes = maxBytes };
    }
}

/// <summary>Cuts strings to a UTF-8 byte budget without splitting a character, and replaces lone surrogates.</summary>
internal static class Utf8Prefix
{
    public static string Sanitize(string text, int maxBytes)
    {
        var builder = (StringBuilder?)null;
        var bytes = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            int width;
            var pair = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            if (pair) width = 4;
            else if (char.IsSurrogate(c)) width = 3; // becomes U+FFFD
            else width = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            if (bytes + width > maxBytes)
            {
                return (builder ?? new StringBuilder(text, 0, i, i)).ToString();
            }

            bytes += width;
            if (pair)
            {
                builder?.Append(c).Append(text[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                builder ??= new StringBuilder(text, 0, i, text.Length);
                builder.Append('\uFFFD');
            }
            else
            {
                builder?.Append(c);
            }
        }

        return builder?.ToString() ?? text;
    }
}
