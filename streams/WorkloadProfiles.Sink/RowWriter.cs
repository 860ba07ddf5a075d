using System.Net.Sockets;
using ClickHouse.Driver;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.ClickHouse;

namespace WorkloadProfiles.Sink;

/// <summary>The batch was given up because a rebalance took its partitions; the new owner re-reads it.</summary>
internal sealed class BatchAbandonedException() : Exception("The batch's partitions were revoked during a rebalance.");

/// <summary>
/// Inserts one table's rows of a batch. While ClickHouse is unavailable it waits and retries without limit (backoff
/// capped at <see cref="SinkOptions.RetryMaxBackoffMs"/>), so nothing is lost and the lag grows instead. When ClickHouse
/// answers but refuses the rows, it bisects the batch until the refused rows are isolated and returns them, with the
/// server's message, for the dead letters; the other rows are inserted.
/// </summary>
internal sealed class RowWriter(ClickHouseDatabase database, SinkOptions options, SinkMetrics metrics, ILogger logger)
{
    /// <summary>ClickHouse error codes that say "not now" rather than "not these rows".</summary>
    private static readonly HashSet<int> UnavailableCodes =
    [
        16,  // NO_SUCH_COLUMN_IN_TABLE: schema not migrated yet
        60,  // UNKNOWN_TABLE
        81,  // UNKNOWN_DATABASE
        159, // TIMEOUT_EXCEEDED
        164, // READONLY
        202, // TOO_MANY_SIMULTANEOUS_QUERIES
        209, // SOCKET_TIMEOUT
        210, // NETWORK_ERROR
        241, // MEMORY_LIMIT_EXCEEDED
        242, // TABLE_IS_READ_ONLY
        252, // TOO_MANY_PARTS
        285, // TOO_FEW_LIVE_REPLICAS
        319, // UNKNOWN_STATUS_OF_INSERT
        425, // SYSTEM_ERROR
    ];

    /// <summary>A table's rows are split into concurrent inserts only in parts at least this large: parts stay big.</summary>
    internal const int MinRowsPerConcurrentInsert = 10_000;

    /// <summary>
    /// Inserts the rows as up to <see cref="SinkOptions.InsertConcurrency"/> INSERTs side by side (<see cref="Parts"/>). An
    /// INSERT is one request handled on one server thread; side by side, one insert's waits (the network, the server's
    /// other work, this process's own) no longer hold up the next.
    /// </summary>
    /// <param name="waitWhileUnavailable">Waits the given time while keeping the consumer alive; false when the batch was abandoned.</param>
    /// <returns>The rows ClickHouse refused, with the reason it gave.</returns>
    public async Task<IReadOnlyList<(ConsumeResult<byte[]?, byte[]?> Record, string Detail)>> WriteAsync(
        BatchTableRows rows,
        Func<TimeSpan, bool> waitWhileUnavailable,
        CancellationToken cancellationToken)
    {
        // A table whose only record was dead-lettered while its rows were encoded: nothing to send.
        if (rows.Count == 0) return [];
        var inserts = Parts(rows.Count, options.InsertConcurrency)
            .Select(part => WriteAsync(rows, part.Start, part.Count, waitWhileUnavailable, cancellationToken));
        return [.. (await Task.WhenAll(inserts)).SelectMany(rejected => rejected)];
    }

    /// <summary>
    /// <paramref name="count"/> rows as up to <paramref name="concurrency"/> consecutive parts of at least
    /// <see cref="MinRowsPerConcurrentInsert"/> rows each (one part when there are fewer than twice that).
    /// </summary>
    internal static IReadOnlyList<(int Start, int Count)> Parts(int count, int concurrency)
    {
        var parts = Math.Clamp(count / MinRowsPerConcurrentInsert, 1, concurrency);
        var size = count / parts;
        return [.. Enumerable.Range(0, parts).Select(part => (part * size, part == parts - 1 ? count - part * size : size))];
    }

    private async Task<IReadOnlyList<(ConsumeResult<byte[]?, byte[]?> Record, string Detail)>> WriteAsync(
        BatchTableRows rows,
        int first,
        int total,
        Func<TimeSpan, bool> waitWhileUnavailable,
        CancellationToken cancellationToken)
    {
        var rejected = new List<(ConsumeResult<byte[]?, byte[]?>, string)>();
        var table = rows.Table;
        var segments = new Stack<(int Start, int Count)>();
        segments.Push((first, total));
        var attempt = 0;
        while (segments.Count > 0)
        {
            var (start, count) = segments.Pop();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Exception failure;
                try
                {
                    metrics.Inserted(await database.InsertAsync(rows.Encoded, start, count, cancellationToken));
                    attempt = 0;
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failure = ex;
                }

                if (IsUnavailable(failure) || !await database.PingAsync(cancellationToken))
                {
                    metrics.InsertFailed();
                    var delay = Backoff(attempt++);
                    logger.LogWarning("ClickHouse unavailable inserting {Rows} rows into {Table} (attempt {Attempt}, retry in {Delay} ms): {Error}",
                        count, table.Name, attempt, (int)delay.TotalMilliseconds, failure.Message);
                    if (!waitWhileUnavailable(delay)) throw new BatchAbandonedException();
                    continue;
                }

                if (count == 1)
                {
                    metrics.RowRejected();
                    var record = rows.RecordAt(start);
                    logger.LogError("ClickHouse rejected a row of {Table} from {Source}: {Error}", table.Name, record.TopicPartitionOffset, failure.Message);
                    rejected.Add((record, $"{table.Name}: {failure.Message}"));
                    break;
                }
                // Refused, and the server is up: isolate the refused rows by halves, keep the rest.
                var half = count / 2;
                segments.Push((start + half, count - half));
                segments.Push((start, half));
                break;
            }
        }
        return rejected;
    }

    internal static bool IsUnavailable(Exception exception) => exception switch
    {
        ClickHouseServerException server => UnavailableCodes.Contains(server.ErrorCode),
        HttpRequestException or SocketException or IOException or TimeoutException or TaskCanceledException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsUnavailable),
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    private TimeSpan Backoff(int attempt)
    {
        var exponential = options.RetryInitialBackoffMs * Math.Pow(2, Math.Min(attempt, 20));
        var capped = Math.Min(exponential, options.RetryMaxBackoffMs);
        // Jitter so that several sinks do not hammer a recovering server in lockstep.
        return TimeSpan.FromMilliseconds(capped * (0.8 + 0.4 * Random.Shared.NextDouble()));
    }
}
