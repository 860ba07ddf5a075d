using System.Collections.Concurrent;

namespace WorkloadProfiles.Sink;

/// <summary>
/// What the sink did, as monotonic counters plus the lag gauge. Everything that does not become a row is counted here
/// (dead-lettered by reason, tombstones), so nothing disappears silently.
/// </summary>
public sealed class SinkMetrics
{
    private long recordsConsumed, recordsWritten, rowsInserted, inserts, batchesWritten, insertFailures, rowsRejected;
    private long tombstones, commitFailures, batchesAbandoned, deadLettered, lag, pauses;
    private readonly ConcurrentDictionary<string, long> deadLetteredByReason = new(StringComparer.Ordinal);

    public long RecordsConsumed => Interlocked.Read(ref recordsConsumed);
    /// <summary>Records whose batch was inserted and committed.</summary>
    public long RecordsWritten => Interlocked.Read(ref recordsWritten);
    public long RowsInserted => Interlocked.Read(ref rowsInserted);
    /// <summary>
    /// INSERT statements that succeeded. ClickHouse makes a part of each; a few large ones per second keep its merges ahead.
    /// </summary>
    public long Inserts => Interlocked.Read(ref inserts);
    public long BatchesWritten => Interlocked.Read(ref batchesWritten);
    /// <summary>Insert attempts that failed because ClickHouse was unavailable; each one is retried.</summary>
    public long InsertFailures => Interlocked.Read(ref insertFailures);
    /// <summary>Rows ClickHouse refused; their records are dead-lettered.</summary>
    public long RowsRejected => Interlocked.Read(ref rowsRejected);
    /// <summary>Null-valued records on the compacted topics: nothing to insert, offset still committed.</summary>
    public long Tombstones => Interlocked.Read(ref tombstones);
    /// <summary>Offset commits that failed after a successful insert; those records are read and inserted again (idempotent).</summary>
    public long CommitFailures => Interlocked.Read(ref commitFailures);
    /// <summary>Uncommitted batches dropped because a rebalance took their partitions; the new owner re-reads them.</summary>
    public long BatchesAbandoned => Interlocked.Read(ref batchesAbandoned);
    public long DeadLettered => Interlocked.Read(ref deadLettered);
    /// <summary>
    /// Times the sink stopped fetching because a write outlasted the back-pressure wait with the next batch already full
    /// (ClickHouse slow or down); ordinary back-pressure waits for the write without pausing.
    /// </summary>
    public long Pauses => Interlocked.Read(ref pauses);
    /// <summary>Records on the assigned partitions not yet committed (high watermark minus position, plus the pending batch).</summary>
    public long Lag => Interlocked.Read(ref lag);

    public IReadOnlyDictionary<string, long> DeadLetteredByReason => new Dictionary<string, long>(deadLetteredByReason);

    internal void Consumed() => Interlocked.Increment(ref recordsConsumed);
    internal void Tombstone() => Interlocked.Increment(ref tombstones);
    internal void InsertFailed() => Interlocked.Increment(ref insertFailures);
    internal void RowRejected() => Interlocked.Increment(ref rowsRejected);
    internal void CommitFailed() => Interlocked.Increment(ref commitFailures);
    internal void BatchAbandoned() => Interlocked.Increment(ref batchesAbandoned);
    internal void Paused() => Interlocked.Increment(ref pauses);
    internal void SetLag(long value) => Interlocked.Exchange(ref lag, value);

    internal void Inserted(long rows)
    {
        Interlocked.Increment(ref inserts);
        Interlocked.Add(ref rowsInserted, rows);
    }

    internal void BatchWritten(int records)
    {
        Interlocked.Increment(ref batchesWritten);
        Interlocked.Add(ref recordsWritten, records);
    }

    internal void DeadLetter(string reason)
    {
        Interlocked.Increment(ref deadLettered);
        deadLetteredByReason.AddOrUpdate(reason, 1, (_, n) => n + 1);
    }

    public override string ToString() =>
        $"consumed={RecordsConsumed} written={RecordsWritten} rows={RowsInserted} inserts={Inserts} batches={BatchesWritten} " +
        $"insert_failures={InsertFailures} rows_rejected={RowsRejected} dead_lettered={DeadLettered} tombstones={Tombstones} " +
        $"commit_failures={CommitFailures} abandoned={BatchesAbandoned} pauses={Pauses} lag={Lag}";
}
