using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;
using System.Text;
using Avro;
using Avro.IO;
using WorkloadProfiles.Contracts.Binary;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Contracts.Recordings;

/// <summary>
/// Streams raw event batches out of an Avro object container file (written by <see cref="RecordingWriter"/> or any Avro
/// tool). A file written under an older RawEventBatch schema is read through Avro schema resolution against the
/// embedded writer schema. Damage (truncation, a wrong sync marker, garbage) raises <see cref="ContractException"/>
/// with reason <c>malformed-avro</c>; batches before the damage have been returned. Not thread-safe.
/// </summary>
public sealed class RecordingReader : IDisposable
{
    /// <summary>Limit on one block, compressed or not: a corrupt length cannot make the reader allocate without bound.</summary>
    public const int DefaultMaxBlockBytes = 64 * 1024 * 1024;

    private static readonly AvroContract<RawEventBatch> Contract = AvroContracts.RawEventBatch;

    private readonly Stream _input;
    private readonly bool _leaveOpen;
    private readonly int _maxBlockBytes;
    private readonly bool _deflate;
    private readonly byte[] _sync = new byte[RecordingFormat.SyncBytes];
    private readonly SchemaResolution? _resolution;
    private byte[] _block = [];
    private int _blockLength, _offset;
    private long _remainingInBlock;
    private BinaryDecoder? _resolvingDecoder;

    public RecordingReader(Stream input, bool leaveOpen = false, int maxBlockBytes = DefaultMaxBlockBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        _input = input;
        _leaveOpen = leaveOpen;
        _maxBlockBytes = maxBlockBytes;

        if (!TryReadExactly(stackalloc byte[4], out var magic) || !magic.SequenceEqual(RecordingFormat.Magic))
        {
            throw Malformed("not an Avro object container file (no 'Obj\\x01' magic)");
        }

        var metadata = ReadMetadata();
        if (!metadata.TryGetValue(RecordingFormat.SchemaKey, out var schemaJson)) throw Malformed("the header has no avro.schema");
        WriterSchema = ParseWriterSchema(schemaJson);
        _deflate = metadata.GetValueOrDefault(RecordingFormat.CodecKey, RecordingFormat.NullCodec) switch
        {
            RecordingFormat.NullCodec => false,
            RecordingFormat.DeflateCodec => true,
            var codec => throw new ContractException(ContractErrorReasons.UnsupportedValue,
                $"Recording uses block codec '{codec}'; supported: null, deflate") { ExpectedSchema = Contract.Name },
        };
        ReadExactly(_sync, "the header's sync marker");

        var fingerprint = SchemaFiles.FingerprintOf(WriterSchema);
        if (fingerprint != Contract.Fingerprint) _resolution = new SchemaResolution(WriterSchema, Contract.Schema);
    }

    /// <summary>The RawEventBatch schema the file was written with.</summary>
    public RecordSchema WriterSchema { get; }

    /// <summary>Reads the next batch; false at the end of the file.</summary>
    public bool TryRead([NotNullWhen(true)] out RawEventBatch? batch)
    {
        while (_remainingInBlock == 0)
        {
            if (_offset != _blockLength) throw Malformed($"{_blockLength - _offset} bytes left over after the records of a block");
            if (!TryReadBlock())
            {
                batch = null;
                return false;
            }
        }

        _remainingInBlock--;
        if (_resolution is not null)
        {
            var datum = _resolution.Read(_resolvingDecoder!, Contract.Name);
            batch = Contract.DecodeBody(_resolution.Write(datum));
            return true;
        }

        var reader = new AvroReader(_block.AsSpan(_offset, _blockLength - _offset));
        batch = Contract.ReadBody(ref reader);
        _offset += reader.Position;
        return true;
    }

    /// <summary>All remaining batches, streamed.</summary>
    public IEnumerable<RawEventBatch> ReadAll()
    {
        while (TryRead(out var batch)) yield return batch;
    }

    public void Dispose()
    {
        if (!_leaveOpen) _input.Dispose();
    }

    private bool TryReadBlock()
    {
        if (!TryReadLong(out var count, atBoundary: true)) return false;
        var size = ReadLong();
        if (count < 0 || size < 0 || size > _maxBlockBytes)
        {
            throw Malformed($"block header says {count} records in {size} bytes (limit {_maxBlockBytes})");
        }

        var raw = new byte[size];
        ReadExactly(raw, "a block");
        Span<byte> sync = stackalloc byte[RecordingFormat.SyncBytes];
        ReadExactly(sync, "a block's sync marker");
        if (!sync.SequenceEqual(_sync)) throw Malformed("a block's sync marker does not match the header's (corrupt or spliced file)");

        if (_deflate)
        {
            _block = Inflate(raw);
            _blockLength = _block.Length;
        }
        else
        {
            _block = raw;
            _blockLength = raw.Length;
        }
        // Each record takes at least one byte: a larger count cannot be honest.
        if (count > _blockLength) throw Malformed($"block claims {count} records in {_blockLength} bytes");

        _offset = _resolution is null ? 0 : _blockLength;
        _remainingInBlock = count;
        if (_resolution is not null) _resolvingDecoder = new BinaryDecoder(new MemoryStream(_block, 0, _blockLength, writable: false));
        return true;
    }

    private byte[] Inflate(byte[] compressed)
    {
        using var inflate = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
        var output = new MemoryStream(compressed.Length * 4);
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = inflate.Read(buffer)) > 0)
            {
                if (output.Length + read > _maxBlockBytes) throw Malformed($"a block inflates beyond {_maxBlockBytes} bytes");
                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            throw Malformed($"a deflate block is corrupt: {ex.Message}");
        }
        return output.ToArray();
    }

    private Dictionary<string, string> ReadMetadata()
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            var count = ReadLong();
            if (count == 0) return metadata;
            if (count < 0)
            {
                count = -count;
                ReadLong();
            }
            if (count > 1024) throw Malformed($"the header claims {count} metadata entries");
            for (var i = 0; i < count; i++) metadata[ReadText("a metadata key")] = ReadText("a metadata value");
        }
    }

    private string ReadText(string what)
    {
        var length = ReadLong();
        if (length < 0 || length > _maxBlockBytes) throw Malformed($"{what} has length {length}");
        var bytes = new byte[length];
        ReadExactly(bytes, what);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed($"{what} is not UTF-8");
        }
    }

    private static RecordSchema ParseWriterSchema(string json)
    {
        Schema schema;
        try
        {
            schema = Schema.Parse(json);
        }
        catch (SchemaParseException ex)
        {
            throw Malformed($"the embedded schema does not parse: {ex.Message}");
        }
        if (schema is not RecordSchema record || record.Fullname != Contract.Name)
        {
            throw new ContractException(ContractErrorReasons.WrongType,
                $"Recording holds {(schema as NamedSchema)?.Fullname ?? schema.Tag.ToString()} records, expected {Contract.Name}")
            { ExpectedSchema = Contract.Name };
        }
        return record;
    }

    private long ReadLong() =>
        TryReadLong(out var value, atBoundary: false) ? value : throw Malformed("truncated: the file ends inside a block header");

    /// <summary>A zig-zag varint from the stream; false only when the stream ends cleanly before its first byte at a block boundary.</summary>
    private bool TryReadLong(out long value, bool atBoundary)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = _input.ReadByte();
            if (b < 0)
            {
                if (shift == 0 && atBoundary)
                {
                    value = 0;
                    return false;
                }
                throw Malformed("truncated: the file ends inside a varint");
            }
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                value = (long)(result >> 1) ^ -(long)(result & 1);
                return true;
            }
        }
        throw Malformed("a varint is longer than 10 bytes");
    }

    private bool TryReadExactly(Span<byte> buffer, out Span<byte> filled)
    {
        var read = _input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        filled = buffer[..read];
        return read == buffer.Length;
    }

    private void ReadExactly(Span<byte> buffer, string what)
    {
        if (!TryReadExactly(buffer, out _)) throw Malformed($"truncated: the file ends inside {what}");
    }

    private static ContractException Malformed(string detail) =>
        new(ContractErrorReasons.MalformedAvro, $"Malformed {Contract.Name} recording: {detail}") { ExpectedSchema = Contract.Name };
}
