using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using WorkloadProfiles.Contracts.Binary;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Contracts.Recordings;

/// <summary>
/// Writes raw event batches to an Avro object container file with the RawEventBatch schema embedded, so a recording
/// is readable by any Avro tool and replayable after the schema evolves. Batches are buffered into blocks of about
/// <c>blockBytes</c>; <see cref="Flush"/> ends the current block. Not thread-safe.
/// </summary>
public sealed class RecordingWriter : IDisposable
{
    public const int DefaultBlockBytes = 256 * 1024;

    private readonly Stream _output;
    private readonly bool _leaveOpen;
    private readonly RecordingCompression _compression;
    private readonly int _blockBytes;
    private readonly byte[] _sync = new byte[RecordingFormat.SyncBytes];
    private readonly AvroWriter _block = new(DefaultBlockBytes);
    private readonly AvroWriter _framing = new(32);
    private int _blockCount;
    private bool _disposed;

    public RecordingWriter(Stream output, RecordingCompression compression = RecordingCompression.Deflate, bool leaveOpen = false,
        int blockBytes = DefaultBlockBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockBytes);
        _output = output;
        _compression = compression;
        _leaveOpen = leaveOpen;
        _blockBytes = blockBytes;
        RandomNumberGenerator.Fill(_sync);
        WriteHeader();
    }

    /// <summary>Batches written so far (flushed or not).</summary>
    public long BatchesWritten { get; private set; }

    /// <exception cref="ContractException"><c>invalid-value</c>: the batch cannot be encoded; nothing of it is written.</exception>
    public void Write(RawEventBatch batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var mark = _block.Length;
        try
        {
            AvroContracts.RawEventBatch.WriteBody(_block, batch);
        }
        catch
        {
            _block.Truncate(mark);
            throw;
        }
        _blockCount++;
        BatchesWritten++;
        if (_block.Length >= _blockBytes) WriteBlock();
    }

    /// <summary>Ends the current block and flushes the stream: everything written so far is readable.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        WriteBlock();
        _output.Flush();
    }

    public void Dispose()
    {
        if (_disposed) return;
        Flush();
        _disposed = true;
        if (!_leaveOpen) _output.Dispose();
    }

    private void WriteHeader()
    {
        var header = new AvroWriter(8192);
        header.WriteRaw(RecordingFormat.Magic);
        header.WriteArrayStart(2); // the metadata map: one block of two entries
        header.WriteString(RecordingFormat.SchemaKey);
        header.WriteBytes(Encoding.UTF8.GetBytes(AvroContracts.RawEventBatch.SchemaJson));
        header.WriteString(RecordingFormat.CodecKey);
        header.WriteBytes(Encoding.UTF8.GetBytes(_compression == RecordingCompression.Deflate ? RecordingFormat.DeflateCodec : RecordingFormat.NullCodec));
        header.WriteArrayEnd();
        header.WriteRaw(_sync);
        _output.Write(header.WrittenSpan);
    }

    private void WriteBlock()
    {
        if (_blockCount == 0) return;
        var data = _compression == RecordingCompression.Deflate ? Deflate(_block.WrittenSpan) : _block.WrittenSpan;
        _framing.Reset();
        _framing.WriteLong(_blockCount);
        _framing.WriteLong(data.Length);
        _output.Write(_framing.WrittenSpan);
        _output.Write(data);
        _output.Write(_sync);
        _block.Reset();
        _blockCount = 0;
    }

    private static ReadOnlySpan<byte> Deflate(ReadOnlySpan<byte> data)
    {
        var compressed = new MemoryStream(data.Length / 4 + 64);
        using (var deflate = new DeflateStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) deflate.Write(data);
        return compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
    }
}
