using Confluent.Kafka;
using WorkloadProfiles.ClickHouse;

namespace WorkloadProfiles.Sink;

/// <summary>A consumed record and the rows it became (none for a tombstone or a record that went to the dead letters).</summary>
internal sealed record PendingRecord(ConsumeResult<byte[]?, byte[]?> Source, IReadOnlyList<TableRows> Rows);

/// <summary>
/// Records consumed but not yet committed. Offsets are committed only after every row of the batch is in ClickHouse
/// (or its record is in the dead letters), so a crash or a failed insert re-reads the batch: never a loss, at worst a
/// duplicate that the ReplacingMergeTree keys collapse.
/// </summary>
internal sealed class SinkBatch
{
    private List<PendingRecord> records = [];
    private Dictionary<TopicPartition, Offset> nextOffsets = [];
    // Each table's rows with the record they came from, grouped as records arrive (in the order tables first appear), so
    // the write that follows has nothing to regroup.
    private List<(ClickHouseTable Table, List<(object?[] Row, PendingRecord Record)> Rows)> tables = [];
    private DateTime firstAddedUtc;

    public int RecordCount => records.Count;
    public int RowCount { get; private set; }
    public bool IsEmpty => records.Count == 0;
    public IReadOnlyList<PendingRecord> Records => records;

    public void Add(PendingRecord record)
    {
        if (records.Count == 0) firstAddedUtc = DateTime.UtcNow;
        records.Add(record);
        foreach (var tableRows in record.Rows)
        {
            var rows = RowsOf(tableRows.Table);
            foreach (var row in tableRows.Rows) rows.Add((row, record));
            RowCount += tableRows.Rows.Count;
        }
        nextOffsets[record.Source.TopicPartition] = record.Source.Offset + 1;
    }

    public bool IsDue(SinkOptions options) =>
        IsFull(options)
        || (records.Count > 0 && DateTime.UtcNow - firstAddedUtc >= TimeSpan.FromMilliseconds(options.LingerMs));

    /// <summary>At a size bound: nothing more is added to it, even while the previous batch is still being written.</summary>
    public bool IsFull(SinkOptions options) => records.Count >= options.MaxBatchRecords || RowCount >= options.MaxBatchRows;

    /// <summary>The offsets to commit once the batch is written: one past the last record of each partition.</summary>
    public IReadOnlyList<TopicPartitionOffset> CommitOffsets() =>
        nextOffsets.Select(p => new TopicPartitionOffset(p.Key, p.Value)).ToList();

    /// <summary>The rows of every record grouped by table, each row with the record it came from.</summary>
    public IReadOnlyList<(ClickHouseTable Table, IReadOnlyList<(object?[] Row, PendingRecord Record)> Rows)> RowsByTable() =>
        [.. tables.Select(t => (t.Table, (IReadOnlyList<(object?[] Row, PendingRecord Record)>)t.Rows))];

    /// <summary>A batch holding this one's records, rows and offsets; this one is left empty.</summary>
    public SinkBatch TakeAll()
    {
        var taken = new SinkBatch
        {
            records = records, nextOffsets = nextOffsets, tables = tables, RowCount = RowCount, firstAddedUtc = firstAddedUtc,
        };
        records = [];
        nextOffsets = [];
        tables = [];
        RowCount = 0;
        return taken;
    }

    public void Clear()
    {
        records.Clear();
        nextOffsets.Clear();
        tables.Clear();
        RowCount = 0;
    }

    private List<(object?[] Row, PendingRecord Record)> RowsOf(ClickHouseTable table)
    {
        foreach (var (known, rows) in tables)
        {
            if (ReferenceEquals(known, table)) return rows;
        }
        var added = new List<(object?[] Row, PendingRecord Record)>();
        tables.Add((table, added));
        return added;
    }
}
