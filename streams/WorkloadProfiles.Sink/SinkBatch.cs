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
    private readonly List<PendingRecord> records = [];
    private readonly Dictionary<TopicPartition, Offset> nextOffsets = [];
    private DateTime firstAddedUtc;

    public int RecordCount => records.Count;
    public int RowCount { get; private set; }
    public bool IsEmpty => records.Count == 0;
    public IReadOnlyList<PendingRecord> Records => records;

    public void Add(PendingRecord record)
    {
        if (records.Count == 0) firstAddedUtc = DateTime.UtcNow;
        records.Add(record);
        RowCount += record.Rows.Sum(t => t.Rows.Count);
        nextOffsets[record.Source.TopicPartition] = record.Source.Offset + 1;
    }

    public bool IsDue(SinkOptions options) =>
        records.Count >= options.MaxBatchRecords
        || RowCount >= options.MaxBatchRows
        || (records.Count > 0 && DateTime.UtcNow - firstAddedUtc >= TimeSpan.FromMilliseconds(options.LingerMs));

    /// <summary>The offsets to commit once the batch is written: one past the last record of each partition.</summary>
    public IReadOnlyList<TopicPartitionOffset> CommitOffsets() =>
        nextOffsets.Select(p => new TopicPartitionOffset(p.Key, p.Value)).ToList();

    /// <summary>The rows of every record grouped by table, each row with the record it came from.</summary>
    public IReadOnlyList<(ClickHouseTable Table, IReadOnlyList<(object?[] Row, PendingRecord Record)> Rows)> RowsByTable() =>
        records
            .SelectMany(r => r.Rows.SelectMany(t => t.Rows.Select(row => (t.Table, Row: row, Record: r))))
            .GroupBy(x => x.Table)
            .Select(g => (g.Key, (IReadOnlyList<(object?[], PendingRecord)>)g.Select(x => (x.Row, x.Record)).ToList()))
            .ToList();

    public void Clear()
    {
        records.Clear();
        nextOffsets.Clear();
        RowCount = 0;
    }
}
