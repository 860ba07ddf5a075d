using Confluent.Kafka;
using WorkloadProfiles.ClickHouse;

namespace WorkloadProfiles.Sink;

/// <summary>
/// One table's rows in a batch, encoded as RowBinary when their record is added (<see cref="RowBinaryRows"/>: a batch
/// holds bytes, not objects the GC must promote), with the record each row came from, for the dead letters.
/// </summary>
internal sealed class BatchTableRows(ClickHouseTable table) : IDisposable
{
    private readonly List<ConsumeResult<byte[]?, byte[]?>> records = [];
    // firstRows[i]: the index of records[i]'s first row; every record here has at least one row.
    private readonly List<int> firstRows = [];

    public ClickHouseTable Table => table;

    public RowBinaryRows Encoded { get; } = new(table);

    public int Count => Encoded.Count;

    /// <summary>Encodes a record's rows; if one cannot be encoded, none of them is kept and the exception propagates.</summary>
    public void Add(ConsumeResult<byte[]?, byte[]?> record, IReadOnlyList<object?[]> rows)
    {
        var first = Encoded.Count;
        try
        {
            foreach (var row in rows) Encoded.Add(row);
        }
        catch
        {
            Encoded.Truncate(first);
            throw;
        }
        records.Add(record);
        firstRows.Add(first);
    }

    /// <summary>Drops the rows from <paramref name="count"/> on, and the records they came from.</summary>
    public void Truncate(int count)
    {
        Encoded.Truncate(count);
        while (firstRows.Count > 0 && firstRows[^1] >= count)
        {
            firstRows.RemoveAt(firstRows.Count - 1);
            records.RemoveAt(records.Count - 1);
        }
    }

    /// <summary>The record row <paramref name="row"/> comes from.</summary>
    public ConsumeResult<byte[]?, byte[]?> RecordAt(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        var i = firstRows.BinarySearch(row);
        return records[i >= 0 ? i : ~i - 1];
    }

    public void Dispose() => Encoded.Dispose();
}

/// <summary>
/// Records consumed but not yet committed. Offsets are committed only after every row of the batch is in ClickHouse
/// (or its record is in the dead letters), so a crash or a failed insert re-reads the batch: never a loss, at worst a
/// duplicate that the ReplacingMergeTree keys collapse.
/// </summary>
internal sealed class SinkBatch
{
    /// <summary>A batch is also full once a table's encoded rows reach this size, far below a buffer's 2 GiB limit.</summary>
    internal const int MaxEncodedBytes = 512 << 20;

    private int recordCount;
    private Dictionary<TopicPartition, Offset> nextOffsets = [];
    // Each table's rows grouped as records arrive (in the order tables first appear), so the write has nothing to regroup.
    private List<BatchTableRows> tables = [];
    private DateTime firstAddedUtc;

    public int RecordCount => recordCount;
    public int RowCount { get; private set; }
    public bool IsEmpty => recordCount == 0;

    /// <summary>Adds a record with its rows per table, encoding them.</summary>
    /// <exception cref="Exception">A row could not be encoded (<see cref="ClickHouse.Tables.ColumnValueException"/>):
    /// nothing of the record is added; the caller dead-letters it and adds it without rows.</exception>
    public void Add(ConsumeResult<byte[]?, byte[]?> record, IReadOnlyList<TableRows> rows)
    {
        var added = new List<(BatchTableRows Table, int CountBefore)>(rows.Count);
        try
        {
            foreach (var tableRows in rows)
            {
                if (tableRows.Rows.Count == 0) continue;
                var table = RowsOf(tableRows.Table);
                added.Add((table, table.Count));
                table.Add(record, tableRows.Rows);
            }
        }
        catch
        {
            for (var i = added.Count - 1; i >= 0; i--) added[i].Table.Truncate(added[i].CountBefore);
            throw;
        }
        foreach (var (table, countBefore) in added) RowCount += table.Count - countBefore;
        Add(record);
    }

    /// <summary>Adds a record that makes no rows (a tombstone, or dead-lettered): only its offset is committed with the batch.</summary>
    public void Add(ConsumeResult<byte[]?, byte[]?> record)
    {
        if (recordCount == 0) firstAddedUtc = DateTime.UtcNow;
        recordCount++;
        nextOffsets[record.TopicPartition] = record.Offset + 1;
    }

    public bool IsDue(SinkOptions options) =>
        IsFull(options)
        || (recordCount > 0 && DateTime.UtcNow - firstAddedUtc >= TimeSpan.FromMilliseconds(options.LingerMs));

    /// <summary>At a size bound: nothing more is added to it, even while the previous batch is still being written.</summary>
    public bool IsFull(SinkOptions options) =>
        recordCount >= options.MaxBatchRecords || RowCount >= options.MaxBatchRows || tables.Exists(t => t.Encoded.Length >= MaxEncodedBytes);

    /// <summary>The offsets to commit once the batch is written: one past the last record of each partition.</summary>
    public IReadOnlyList<TopicPartitionOffset> CommitOffsets() =>
        nextOffsets.Select(p => new TopicPartitionOffset(p.Key, p.Value)).ToList();

    /// <summary>The rows of every record grouped by table.</summary>
    public IReadOnlyList<BatchTableRows> RowsByTable() => tables;

    /// <summary>A batch holding this one's records, rows and offsets; this one is left empty.</summary>
    public SinkBatch TakeAll()
    {
        var taken = new SinkBatch
        {
            recordCount = recordCount, nextOffsets = nextOffsets, tables = tables, RowCount = RowCount, firstAddedUtc = firstAddedUtc,
        };
        recordCount = 0;
        nextOffsets = [];
        tables = [];
        RowCount = 0;
        return taken;
    }

    /// <summary>Empties a batch nothing is writing (its encoded rows go back to the pool).</summary>
    public void Clear()
    {
        ReleaseRows();
        recordCount = 0;
        nextOffsets.Clear();
        tables.Clear();
        RowCount = 0;
    }

    /// <summary>Returns the encoded rows' buffers: only once no insert reads them (see <see cref="BatchWrite"/>).</summary>
    public void ReleaseRows()
    {
        foreach (var table in tables) table.Dispose();
    }

    private BatchTableRows RowsOf(ClickHouseTable table)
    {
        foreach (var rows in tables)
        {
            if (ReferenceEquals(rows.Table, table)) return rows;
        }
        var added = new BatchTableRows(table);
        tables.Add(added);
        return added;
    }
}
