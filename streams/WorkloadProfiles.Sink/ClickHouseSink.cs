using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Kafka;

namespace WorkloadProfiles.Sink;

/// <summary>
/// Consumes <c>wp.snapshots</c>, <c>wp.profiles</c>, <c>wp.signals.enriched</c>, <c>wp.suppressions</c> and
/// <c>wp.containers</c> and writes them to ClickHouse in batches.
/// <list type="bullet">
/// <item>One batch is inserted while the next is consumed, decoded, mapped and encoded as RowBinary (<see cref="BatchWrite"/>,
/// <see cref="RowBinaryRows"/>): at most one write (its tables inserted side by side)
/// in flight and one batch assembling, so memory stays bounded and batches are written and committed in order. A batch
/// that is due while the previous one is still being written keeps filling up to its bounds.</item>
/// <item>Offsets are committed only after the whole batch is inserted (or dead-lettered): at-least-once.</item>
/// <item>Rows are idempotent (ReplacingMergeTree keys), so a replay or a retried batch never double counts after FINAL.</item>
/// <item>With the next batch at its bounds, the consumer waits for the write. While ClickHouse is down, the batch is retried
/// with capped backoff; after <see cref="BackPressureWait"/> the partitions are paused and the consumer keeps polling so it
/// stays in its group; nothing is lost and <see cref="SinkMetrics.Lag"/> grows.</item>
/// <item>Undecodable records and rows ClickHouse refuses go to <c>wp.deadletter</c> with the reason.</item>
/// </list>
/// </summary>
public sealed class ClickHouseSink : IDisposable
{
    private static readonly TimeSpan LagRefreshInterval = TimeSpan.FromSeconds(1);
    /// <summary>Poll timeout while a write is in flight, so its commit follows it closely.</summary>
    private static readonly TimeSpan WriteWaitPoll = TimeSpan.FromMilliseconds(5);
    /// <summary>How long a rebalance waits for the batch being written before giving its partitions up uncommitted.</summary>
    private static readonly TimeSpan RevokeGrace = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long a full batch waits for the write before it is in flight, without polling; a write that takes longer (ClickHouse
    /// slow or down) pauses the partitions and polls, to stay in the group.
    /// </summary>
    private static readonly TimeSpan BackPressureWait = TimeSpan.FromSeconds(5);
    /// <summary>Paused this long (ClickHouse is slow or down), the lag is measured with ListOffsets, not fetched watermarks.</summary>
    private static readonly TimeSpan StaleWatermarks = TimeSpan.FromSeconds(5);

    private readonly KafkaOptions kafka;
    private readonly ClickHouseDatabase database;
    private readonly SinkOptions options;
    private readonly ILogger logger;
    private readonly Dictionary<string, ISinkTopic> topics;
    private readonly RowWriter writer;
    private readonly IProducer<byte[], byte[]> deadLetterProducer;
    private readonly DeadLetterPublisher deadLetters;
    private readonly SinkBatch batch = new();
    private readonly CancellationTokenSource writesStopping = new();
    private BatchWrite? write;
    private DateTime lagRefreshedUtc;

    /// <param name="deadLetters">Bound of the dead letters it writes (<c>DeadLetter:MaxBytes</c>); the default when null.</param>
    public ClickHouseSink(KafkaOptions kafka, ClickHouseDatabase database, SinkOptions options, AvroCodecs codecs,
        ILoggerFactory? loggerFactory = null, DeadLetterBound? deadLetters = null)
    {
        options.Validate();
        this.kafka = kafka;
        this.database = database;
        this.options = options;
        logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ClickHouseSink>();
        topics = SinkTopics.Create(options.Topics, codecs).ToDictionary(t => t.Name, StringComparer.Ordinal);
        writer = new RowWriter(database, options, Metrics, logger);
        var producerConfig = kafka.ToProducerConfig();
        producerConfig.Acks = Acks.All;
        producerConfig.EnableIdempotence = true;
        deadLetterProducer = new ProducerBuilder<byte[], byte[]>(producerConfig).LogTo(logger).Build();
        this.deadLetters = new DeadLetterPublisher(deadLetterProducer, codecs.For<DeadLetter>(options.Topics.DeadLetter),
            options.Topics.DeadLetter, Metrics, deadLetters ?? DeadLetterBound.Default, logger);
    }

    public SinkMetrics Metrics { get; } = new();

    /// <summary>True while the migrations are done and the consumer is in its group: what <c>/healthz</c> reports.</summary>
    public bool Consuming { get; private set; }

    public IReadOnlyCollection<string> Topics => topics.Keys;

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled, then writes what it holds and leaves the group.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        // The consumer API blocks; keep it off the thread pool.
        Task.Factory.StartNew(() => RunLoopAsync(cancellationToken), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    public void Dispose()
    {
        deadLetterProducer.Flush(TimeSpan.FromSeconds(5));
        deadLetterProducer.Dispose();
    }

    private async Task RunLoopAsync(CancellationToken cancellationToken)
    {
        if (options.Migrate) await MigrateAsync(cancellationToken);

        var config = kafka.ToConsumerConfig(options.GroupId);
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetPartitionsRevokedHandler((c, revoked) => Abandon(c, $"partitions revoked: {string.Join(", ", revoked)}", lost: false))
            .SetPartitionsLostHandler((c, lost) => Abandon(c, $"partitions lost: {string.Join(", ", lost)}", lost: true))
            .SetErrorHandler((_, error) => logger.LogWarning("Kafka consumer error: {Error}", error))
            .LogTo(logger)
            .Build();
        consumer.Subscribe(topics.Keys);
        Consuming = true;
        logger.LogInformation("Sink consuming {Topics} as group {Group} into ClickHouse database {Database}",
            string.Join(", ", topics.Keys), options.GroupId, database.Name);
        var paused = false;
        var pausedSinceUtc = DateTime.MinValue;
        DateTime? fullSinceUtc = null;
        try
        {
            var poll = TimeSpan.FromMilliseconds(Math.Clamp(options.LingerMs, 10, 100));
            while (!cancellationToken.IsCancellationRequested)
            {
                await CompleteWriteAsync(consumer, wait: false);
                // A due batch that cannot go yet keeps growing up to its bounds: under load, batches get larger, not later.
                if (write is null && batch.IsDue(options)) StartWrite();
                if (write is not null && batch.IsFull(options))
                {
                    // Both buffers full (one batch being written, the next at its bound). Ordinary back-pressure: wait for
                    // the write without polling; librdkafka keeps prefetching within its queue bounds meanwhile, whereas a
                    // pause, a seek and a resume cost fetch round trips before records flow again (~0.4 s a write on the
                    // local broker, measured in the sink bench).
                    fullSinceUtc ??= DateTime.UtcNow;
                    var waited = DateTime.UtcNow - fullSinceUtc.Value;
                    if (!paused && waited < BackPressureWait)
                    {
                        await Task.WhenAny(write.Completion, Task.Delay(BackPressureWait - waited, cancellationToken));
                        continue;
                    }
                    // A long write (ClickHouse slow or down): stop fetching, but keep polling, which keeps the consumer in
                    // its group through a long outage.
                    if (!paused)
                    {
                        consumer.Pause(consumer.Assignment);
                        pausedSinceUtc = DateTime.UtcNow;
                        Metrics.Paused();
                    }
                    paused = true;
                    var stray = consumer.Consume(WriteWaitPoll);
                    // A record fetched before the pause: rewind so it is consumed again once there is room.
                    if (stray is { IsPartitionEOF: false }) consumer.Seek(stray.TopicPartitionOffset);
                    // A pause of a write's length is ordinary back-pressure, and the fetched watermarks are still fresh.
                    RefreshLag(consumer, paused: DateTime.UtcNow - pausedSinceUtc > StaleWatermarks);
                    continue;
                }
                if (paused) consumer.Resume(consumer.Assignment);
                paused = false;
                fullSinceUtc = null;

                // While a write is in flight, poll briefly so its completion (and commit) is not left waiting on an idle topic.
                var result = consumer.Consume(write is null ? poll : WriteWaitPoll);
                if (result is { IsPartitionEOF: false })
                {
                    Metrics.Consumed();
                    await AddAsync(result, cancellationToken);
                }
                if (write is null && batch.IsDue(options)) StartWrite();
                RefreshLag(consumer, paused: false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            Consuming = false;
            await DrainOnShutdownAsync(consumer);
            consumer.Close();
        }
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var report = await new Migrator(database).MigrateAsync(cancellationToken);
                logger.LogInformation("ClickHouse {Version}: {Applied} migrations applied, {Skipped} production-only skipped",
                    report.ServerVersion, report.Applied.Count, report.SkippedForServerVersion.Count);
                return;
            }
            catch (Exception ex) when (RowWriter.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
            {
                var delay = TimeSpan.FromMilliseconds(Math.Min(options.RetryMaxBackoffMs, options.RetryInitialBackoffMs << Math.Min(attempt, 10)));
                logger.LogWarning("ClickHouse unavailable for migrations (attempt {Attempt}), retry in {Delay} ms: {Error}",
                    attempt + 1, (int)delay.TotalMilliseconds, ex.Message);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Decodes and maps one record and adds it to the batch with its rows encoded; what cannot be decoded, mapped or encoded
    /// goes to the dead letters right here (and is added without rows, so its offset is committed with the batch).
    /// </summary>
    private async Task AddAsync(ConsumeResult<byte[]?, byte[]?> result, CancellationToken cancellationToken)
    {
        if (result.Message.Value is null)
        {
            Metrics.Tombstone();
            batch.Add(result);
            return;
        }
        if (!topics.TryGetValue(result.Topic, out var topic))
        {
            await deadLetters.PublishAsync(result, "unknown-topic", $"the sink does not map topic {result.Topic}", cancellationToken);
            batch.Add(result);
            return;
        }
        try
        {
            batch.Add(result, topic.Map(result.Message.Value));
            return;
        }
        catch (ContractException ex)
        {
            logger.LogWarning("Dead-lettering {Source}: {Reason}: {Error}", result.TopicPartitionOffset, ex.Reason, ex.Message);
            await deadLetters.PublishAsync(result, ex.Reason, ex.Message, cancellationToken);
        }
        catch (ColumnValueException ex)
        {
            // A value the column cannot hold (a time outside DateTime's 1970..2106): refused rather than stored wrong.
            logger.LogWarning("Dead-lettering {Source}: {Error}", result.TopicPartitionOffset, ex.Message);
            await deadLetters.PublishAsync(result, ContractErrorReasons.InvalidValue, ex.Message, cancellationToken);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
        {
            // Whatever else a record makes the mapping throw, the sink skips it (dead-lettered) instead of stopping on it.
            logger.LogWarning("Dead-lettering {Source}: cannot map to rows: {Error}", result.TopicPartitionOffset, ex.Message);
            await deadLetters.PublishAsync(result, DeadLetterPublisher.Unmappable, $"{ex.GetType().Name}: {ex.Message}", cancellationToken);
        }
        batch.Add(result);
    }

    /// <summary>Hands the batch to a write of its own; the consumer goes on with an empty one.</summary>
    private void StartWrite() => write = new BatchWrite(batch.TakeAll(), WriteAsync, writesStopping.Token);

    /// <summary>
    /// Inserts every table's rows of the batch, the tables side by side (<see cref="RowWriter.WriteAsync"/> says why), then
    /// dead-letters the rows ClickHouse refused. Only when every table is done, however it ends, does the write complete and
    /// its buffers go back to the pool.
    /// </summary>
    private async Task WriteAsync(SinkBatch written, Func<TimeSpan, bool> waitWhileUnavailable, CancellationToken cancellationToken)
    {
        var rejected = (await Task.WhenAll(written.RowsByTable().Select(rows => writer.WriteAsync(rows, waitWhileUnavailable, cancellationToken))))
            .SelectMany(r => r);
        foreach (var (record, detail) in rejected.DistinctBy(r => r.Record.TopicPartitionOffset))
        {
            await deadLetters.PublishAsync(record, DeadLetterPublisher.ClickHouseRejected, detail, cancellationToken);
        }
    }

    /// <summary>Commits the batch in flight once it is written; with <paramref name="wait"/>, waits for it first.</summary>
    private async Task CompleteWriteAsync(IConsumer<byte[]?, byte[]?> consumer, bool wait)
    {
        if (write is null || (!wait && !write.Completion.IsCompleted)) return;
        var done = write;
        write = null;
        if (!await done.Completion) return;
        Commit(consumer, done.Batch);
        Metrics.BatchWritten(done.Batch.RecordCount);
    }

    private void Commit(IConsumer<byte[]?, byte[]?> consumer, SinkBatch written)
    {
        var offsets = written.CommitOffsets();
        if (offsets.Count == 0) return;
        try
        {
            consumer.Commit(offsets);
        }
        catch (KafkaException ex)
        {
            // The rows are in ClickHouse; without the commit they are read and inserted again, which the keys absorb.
            Metrics.CommitFailed();
            logger.LogWarning("Offset commit failed after a successful insert ({Error}); the batch will be re-read", ex.Error);
        }
    }

    /// <summary>
    /// Called from inside Consume on a rebalance: the batch being assembled is no longer ours to commit, and neither is
    /// the one being written, unless (partitions revoked, not lost) its write finishes within the grace period, in which
    /// case it is committed while the partitions are still ours. The next owner re-reads whatever was not committed.
    /// </summary>
    private void Abandon(IConsumer<byte[]?, byte[]?> consumer, string why, bool lost)
    {
        if (write is not null)
        {
            var inFlight = write;
            write = null;
            inFlight.Abandon();
            if (!lost && inFlight.WaitWritten(RevokeGrace))
            {
                Commit(consumer, inFlight.Batch);
                Metrics.BatchWritten(inFlight.Batch.RecordCount);
            }
            else
            {
                logger.LogInformation("Dropping the batch of {Records} records being written ({Why}); the partitions' next owner re-reads it",
                    inFlight.Batch.RecordCount, why);
                Metrics.BatchAbandoned();
            }
        }
        if (batch.IsEmpty) return;
        logger.LogInformation("Dropping uncommitted batch of {Records} records ({Why}); the partitions' next owner re-reads it", batch.RecordCount, why);
        batch.Clear();
        Metrics.BatchAbandoned();
    }

    private async Task DrainOnShutdownAsync(IConsumer<byte[]?, byte[]?> consumer)
    {
        // One bounded attempt: if ClickHouse is down at shutdown, the uncommitted records are simply read again later.
        var deadline = Task.Delay(ShutdownGrace);
        if (write is null && !batch.IsEmpty) StartWrite();
        while (write is not null)
        {
            if (await Task.WhenAny(write.Completion, deadline) == deadline)
            {
                logger.LogWarning("Shutting down with {Records} uncommitted records; they will be consumed again", write.Batch.RecordCount + batch.RecordCount);
                await writesStopping.CancelAsync();
                write = null;
                batch.Clear();
                return;
            }
            await CompleteWriteAsync(consumer, wait: true);
            if (!batch.IsEmpty) StartWrite();
        }
    }

    /// <param name="paused">
    /// While fetching, the high watermarks cached from fetch responses are current and free. While paused there are no
    /// fetches, so they are asked for (a ListOffsets request; not done while fetching, when it would queue behind a long poll).
    /// </param>
    private void RefreshLag(IConsumer<byte[]?, byte[]?> consumer, bool paused)
    {
        var now = DateTime.UtcNow;
        if (now - lagRefreshedUtc < LagRefreshInterval) return;
        lagRefreshedUtc = now;
        long lag = batch.RecordCount + (write?.Batch.RecordCount ?? 0);
        foreach (var partition in consumer.Assignment)
        {
            try
            {
                var high = paused
                    ? consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(2)).High
                    : consumer.GetWatermarkOffsets(partition).High;
                var position = consumer.Position(partition);
                if (high != Offset.Unset && position != Offset.Unset) lag += Math.Max(0, high.Value - position.Value);
            }
            catch (KafkaException)
            {
                // Lag is a gauge; a missed refresh is not worth failing the batch for.
            }
        }
        Metrics.SetLag(lag);
    }
}
