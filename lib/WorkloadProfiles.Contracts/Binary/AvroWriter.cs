using System.Buffers.Binary;
using System.Text;

namespace WorkloadProfiles.Contracts.Binary;

/// <summary>
/// Avro binary encoding into a growable buffer. Written by hand rather than through Apache.Avro's generic datum writer:
/// raw event batches are on the hot path, and this writes the domain records without an intermediate GenericRecord.
/// The tests prove the output byte-identical to Apache.Avro's for every schema.
/// </summary>
internal sealed class AvroWriter
{
    /// <summary>Strict: a lone surrogate is an error, not a silent U+FFFD.</summary>
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Buffers larger than this are not kept for reuse, so one huge record does not pin memory per thread.</summary>
    private const int MaxRetainedCapacity = 1 << 20;

    [ThreadStatic] private static AvroWriter? s_cached;

    private byte[] _buffer;
    private int _length;

    public AvroWriter(int capacity = 4096) => _buffer = new byte[capacity];

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>A cleared writer owned by the caller until <see cref="Return"/>.</summary>
    public static AvroWriter Rent()
    {
        var writer = s_cached ?? new AvroWriter();
        s_cached = null;
        writer._length = 0;
        return writer;
    }

    public static void Return(AvroWriter writer)
    {
        if (writer._buffer.Length <= MaxRetainedCapacity) s_cached = writer;
    }

    public void Reset() => _length = 0;

    /// <summary>Drops what was written after <paramref name="length"/> (undoes a partially written record).</summary>
    public void Truncate(int length) => _length = length;

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteInt32BigEndian(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteUInt64LittleEndian(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    /// <summary>Zig-zag varint, as Avro encodes both int and long.</summary>
    public void WriteLong(long value)
    {
        Ensure(10);
        var n = (ulong)((value << 1) ^ (value >> 63));
        var buffer = _buffer;
        var i = _length;
        while (n >= 0x80)
        {
            buffer[i++] = (byte)(n | 0x80);
            n >>= 7;
        }
        buffer[i++] = (byte)n;
        _length = i;
    }

    public void WriteInt(int value) => WriteLong(value);

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteDouble(double value)
    {
        Ensure(8);
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    /// <exception cref="EncoderFallbackException">The string is not valid UTF-16 (a lone surrogate).</exception>
    public void WriteString(string value)
    {
        if (value.Length == 0)
        {
            WriteByte(0);
            return;
        }
        var count = Utf8.GetByteCount(value);
        WriteLong(count);
        Ensure(count);
        _length += Utf8.GetBytes(value, _buffer.AsSpan(_length));
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteLong(value.Length);
        WriteRaw(value);
    }

    /// <summary>The branch index of a union.</summary>
    public void WriteUnionIndex(int index) => WriteByte((byte)(index << 1));

    /// <summary>Arrays are written as one block: the count, the items, then the zero count that ends the array.</summary>
    public void WriteArrayStart(int count)
    {
        if (count > 0) WriteLong(count);
    }

    public void WriteArrayEnd() => WriteByte(0);

    private void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra) return;
        var needed = (long)_length + extra;
        if (needed > Array.MaxLength) throw new InvalidOperationException("An Avro record cannot exceed the maximum array length.");
        var capacity = Math.Max(needed, Math.Min((long)_buffer.Length * 2, Array.MaxLength));
        Array.Resize(ref _buffer, (int)capacity);
    }
}
