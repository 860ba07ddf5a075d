using System.Buffers.Binary;
using System.Text;

namespace WorkloadProfiles.Contracts.Binary;

internal delegate T AvroItemReader<out T>(ref AvroReader reader);

/// <summary>
/// Avro binary decoding over a span. Every length and count is checked against the bytes that remain before anything
/// is allocated, so truncated or hostile input fails fast with <see cref="AvroMalformedException"/> — it never hangs,
/// over-allocates or yields a partial record.
/// </summary>
internal ref struct AvroReader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public AvroReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly bool End => _position == _data.Length;

    public long ReadLong()
    {
        ulong result = 0;
        var shift = 0;
        while (true)
        {
            if (_position >= _data.Length) throw Truncated("a varint");
            var b = _data[_position++];
            if (shift == 63 && b > 1) throw Malformed("a varint overflows 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
            shift += 7;
        }
        return (long)(result >> 1) ^ -(long)(result & 1);
    }

    public int ReadInt()
    {
        var value = ReadLong();
        if (value is < int.MinValue or > int.MaxValue) throw Malformed($"int value {value} is out of range");
        return (int)value;
    }

    public bool ReadBoolean()
    {
        if (_position >= _data.Length) throw Truncated("a boolean");
        return _data[_position++] switch
        {
            0 => false,
            1 => true,
            var b => throw Malformed($"boolean byte 0x{b:x2}"),
        };
    }

    public double ReadDouble()
    {
        if (Remaining < 8) throw Truncated("a double");
        var value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    public string ReadString()
    {
        var bytes = ReadLengthPrefixed("a string");
        if (bytes.IsEmpty) return "";
        try
        {
            return Utf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("a string is not valid UTF-8");
        }
    }

    /// <summary>
    /// As <see cref="ReadString"/>, for values that repeat across records (paths, program names, argv, container fields):
    /// the thread's <see cref="Utf8StringPool"/> returns one shared instance per value.
    /// </summary>
    public string ReadPooledString()
    {
        var bytes = ReadLengthPrefixed("a string");
        try
        {
            return Utf8StringPool.Current.Get(bytes, Utf8);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed("a string is not valid UTF-8");
        }
    }

    public string? ReadNullablePooledString() => ReadUnionIndex(2) == 0 ? null : ReadPooledString();

    public List<string> ReadPooledStringArray() => ReadArray(static (ref AvroReader r) => r.ReadPooledString());

    public byte[] ReadBytes() => ReadLengthPrefixed("bytes").ToArray();

    /// <summary>Reads a union branch index and checks it against the number of branches.</summary>
    public int ReadUnionIndex(int branches)
    {
        var index = ReadLong();
        if ((ulong)index >= (ulong)branches) throw Malformed($"union branch {index} of {branches}");
        return (int)index;
    }

    /// <summary>Reads an enum symbol index and checks it against the number of symbols.</summary>
    public int ReadEnumIndex(int symbols, string enumName)
    {
        var index = ReadLong();
        if ((ulong)index >= (ulong)symbols) throw Malformed($"{enumName} symbol {index} of {symbols}");
        return (int)index;
    }

    public string? ReadNullableString() => ReadUnionIndex(2) == 0 ? null : ReadString();

    public long? ReadNullableLong() => ReadUnionIndex(2) == 0 ? null : ReadLong();

    public double? ReadNullableDouble() => ReadUnionIndex(2) == 0 ? null : ReadDouble();

    public List<T> ReadArray<T>(AvroItemReader<T> readItem)
    {
        List<T>? items = null;
        while (true)
        {
            var count = ReadLong();
            if (count == 0) return items ?? [];
            if (count < 0)
            {
                // A negative count is followed by the block's size in bytes (lets readers skip); we read items anyway.
                count = -count;
                ReadLong();
            }
            // Every item of our schemas takes at least one byte: a larger count cannot be honest.
            if (count > Remaining) throw Malformed($"array block of {count} items with {Remaining} bytes left");
            items ??= new List<T>((int)count);
            for (var i = 0; i < count; i++) items.Add(readItem(ref this));
        }
    }

    public List<string> ReadStringArray() => ReadArray(static (ref AvroReader r) => r.ReadString());

    private ReadOnlySpan<byte> ReadLengthPrefixed(string what)
    {
        var length = ReadLong();
        if (length < 0) throw Malformed($"{what} has negative length {length}");
        if (length > Remaining) throw Truncated($"{what} of {length} bytes");
        var span = _data.Slice(_position, (int)length);
        _position += (int)length;
        return span;
    }

    private readonly AvroMalformedException Truncated(string what) =>
        new($"truncated: {what} runs past the end at byte {_position} of {_data.Length}");

    private readonly AvroMalformedException Malformed(string what) => new($"{what} at byte {_position}");
}
