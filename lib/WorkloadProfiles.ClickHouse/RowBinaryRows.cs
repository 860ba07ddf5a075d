using System.Buffers;
using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Text;
using WorkloadProfiles.ClickHouse.Tables;

namespace WorkloadProfiles.ClickHouse;

/// <summary>
/// Rows of one table encoded as ClickHouse <c>RowBinary</c> as they are added, in one pooled buffer; any run of them is
/// one INSERT body (<see cref="ClickHouseDatabase.InsertAsync(RowBinaryRows, int, int, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// Why bytes and not the rows: a sink batch holds up to 200,000 rows from consume to insert, and as arrays of boxed values
/// (about ten objects a row) they outlived the young generation — promoting and tracing them was most of the sink's CPU.
/// Encoded, a batch is a few byte arrays. The encoding is the one ClickHouse.Driver writes for the same column types
/// (varint-prefixed UTF-8 strings, little-endian numbers, <c>DateTime</c> as seconds, a null flag before a
/// <c>Nullable</c>, a varint count before an <c>Array</c>); tests insert every table both ways and compare.
/// Not thread-safe. <see cref="Dispose"/> returns the buffer: only once nothing reads it any more.
/// </remarks>
public sealed class RowBinaryRows : IDisposable
{
    private const int InitialBytes = 64 * 1024;

    private byte[] buffer = [];
    private int length;
    // rowEnds[i]: the offset just past row i.
    private int[] rowEnds = [];

    public RowBinaryRows(ClickHouseTable table) => Table = table;

    public ClickHouseTable Table { get; }

    public int Count { get; private set; }

    /// <summary>Bytes encoded so far.</summary>
    public int Length => length;

    /// <summary>Encodes one row; its values in <see cref="ClickHouseTable.Columns"/> order.</summary>
    /// <exception cref="ColumnValueException">A value its column cannot hold; nothing of the row is kept.</exception>
    public void Add(object?[] row)
    {
        var columns = Table.Encoders;
        if (row.Length != columns.Count)
        {
            throw new ColumnValueException($"{Table.Name}: a row of {row.Length} values for {columns.Count} columns");
        }
        var start = length;
        try
        {
            for (var i = 0; i < columns.Count; i++) columns[i].Write(this, row[i]);
        }
        catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or ArgumentException or ColumnValueException)
        {
            length = start;
            throw ex as ColumnValueException ?? new ColumnValueException($"{Table.Name}: {ex.Message}");
        }
        if (Count == rowEnds.Length) Array.Resize(ref rowEnds, Math.Max(1024, rowEnds.Length * 2));
        rowEnds[Count++] = length;
    }

    /// <summary>Drops the rows from <paramref name="count"/> on (a record whose rows could not all be encoded).</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        Count = count;
        length = count == 0 ? 0 : rowEnds[count - 1];
    }

    /// <summary>The bytes of rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/>.</summary>
    public ArraySegment<byte> Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, Count);
        var from = start == 0 ? 0 : rowEnds[start - 1];
        var to = start + count == 0 ? 0 : rowEnds[start + count - 1];
        return new ArraySegment<byte>(buffer, from, to - from);
    }

    public void Dispose()
    {
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
        length = 0;
        Count = 0;
    }

    private Span<byte> Reserve(int bytes)
    {
        if (buffer.Length - length < bytes)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(InitialBytes, buffer.Length * 2), checked(length + bytes)));
            buffer.AsSpan(0, length).CopyTo(grown);
            if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
            buffer = grown;
        }
        return buffer.AsSpan(length, bytes);
    }

    internal void WriteByte(byte value)
    {
        Reserve(1)[0] = value;
        length++;
    }

    internal void WriteVarUInt(ulong value)
    {
        var span = Reserve(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        length += i;
    }

    internal void WriteUInt16(ushort value) { BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value); length += 2; }
    internal void WriteUInt32(uint value) { BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value); length += 4; }
    internal void WriteUInt64(ulong value) { BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value); length += 8; }
    internal void WriteDouble(double value) { BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value); length += 8; }

    internal void WriteString(string value)
    {
        // Invalid UTF-16 (a lone surrogate) becomes U+FFFD, as the driver's writer does.
        var bytes = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt((ulong)bytes);
        Encoding.UTF8.GetBytes(value, Reserve(bytes));
        length += bytes;
    }
}

/// <summary>How one column's values are written as RowBinary.</summary>
internal abstract class ColumnEncoder
{
    public abstract void Write(RowBinaryRows rows, object? value);

    /// <exception cref="NotSupportedException">A type no table of this project uses.</exception>
    public static ColumnEncoder For(ClickHouseColumn column) => Parse(column.Type, column);

    private static ColumnEncoder Parse(string type, ClickHouseColumn column)
    {
        if (Unwrap(type, "LowCardinality(") is { } inner) return Parse(inner, column);
        if (Unwrap(type, "Nullable(") is { } nullable) return new NullableEncoder(Parse(nullable, column));
        if (Unwrap(type, "Array(") is { } element) return new ArrayEncoder(Parse(element, column), column.Name);
        if (type.StartsWith("DateTime(", StringComparison.Ordinal) || type == "DateTime") return new DateTimeEncoder(column.Name);
        return type switch
        {
            "String" => new StringEncoder(column.Name),
            "UInt8" => new NumberEncoder((rows, v) => rows.WriteByte(Convert.ToByte(v, CultureInfo.InvariantCulture)), column.Name),
            "UInt16" => new NumberEncoder((rows, v) => rows.WriteUInt16(Convert.ToUInt16(v, CultureInfo.InvariantCulture)), column.Name),
            "UInt32" => new NumberEncoder((rows, v) => rows.WriteUInt32(Convert.ToUInt32(v, CultureInfo.InvariantCulture)), column.Name),
            "UInt64" => new NumberEncoder((rows, v) => rows.WriteUInt64(Convert.ToUInt64(v, CultureInfo.InvariantCulture)), column.Name),
            "Int32" => new NumberEncoder((rows, v) => rows.WriteUInt32(unchecked((uint)Convert.ToInt32(v, CultureInfo.InvariantCulture))), column.Name),
            "Int64" => new NumberEncoder((rows, v) => rows.WriteUInt64(unchecked((ulong)Convert.ToInt64(v, CultureInfo.InvariantCulture))), column.Name),
            "Float64" => new NumberEncoder((rows, v) => rows.WriteDouble(Convert.ToDouble(v, CultureInfo.InvariantCulture)), column.Name),
            _ => throw new NotSupportedException($"column {column.Name}: RowBinary encoding of {column.Type} is not implemented"),
        };
    }

    private static string? Unwrap(string type, string prefix) =>
        type.StartsWith(prefix, StringComparison.Ordinal) && type.EndsWith(')') ? type[prefix.Length..^1] : null;

    private static ColumnValueException Null(string column) => new($"column {column}: null in a column that is not Nullable");

    private sealed class StringEncoder(string column) : ColumnEncoder
    {
        public override void Write(RowBinaryRows rows, object? value) =>
            rows.WriteString(value as string ?? throw (value is null ? Null(column) : new ColumnValueException($"column {column}: {value.GetType().Name} is not a string")));
    }

    private sealed class NumberEncoder(Action<RowBinaryRows, object> write, string column) : ColumnEncoder
    {
        public override void Write(RowBinaryRows rows, object? value) => write(rows, value ?? throw Null(column));
    }

    private sealed class DateTimeEncoder(string column) : ColumnEncoder
    {
        public override void Write(RowBinaryRows rows, object? value)
        {
            var seconds = value switch
            {
                DateTimeOffset offset => offset.ToUnixTimeSeconds(),
                // An unspecified kind is taken as UTC, the columns' time zone.
                DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, time.Kind == DateTimeKind.Local ? DateTimeKind.Local : DateTimeKind.Utc)).ToUnixTimeSeconds(),
                null => throw Null(column),
                _ => throw new ColumnValueException($"column {column}: {value.GetType().Name} is not a time"),
            };
            if (seconds is < 0 or > uint.MaxValue) throw new ColumnValueException($"column {column}: {value} is outside what a DateTime holds");
            rows.WriteUInt32((uint)seconds);
        }
    }

    private sealed class NullableEncoder(ColumnEncoder inner) : ColumnEncoder
    {
        public override void Write(RowBinaryRows rows, object? value)
        {
            rows.WriteByte(value is null ? (byte)1 : (byte)0);
            if (value is not null) inner.Write(rows, value);
        }
    }

    private sealed class ArrayEncoder(ColumnEncoder element, string column) : ColumnEncoder
    {
        public override void Write(RowBinaryRows rows, object? value)
        {
            if (value is not IEnumerable items || value is string) throw new ColumnValueException($"column {column}: {value?.GetType().Name ?? "null"} is not an array");
            var count = items is ICollection collection ? collection.Count : items.Cast<object?>().Count();
            rows.WriteVarUInt((ulong)count);
            foreach (var item in items) element.Write(rows, item);
        }
    }
}
