namespace WorkloadProfiles.Sink;

/// <summary>
/// One batch being written to ClickHouse on its own task while the consumer decodes and maps the next one: at most one
/// write is in flight, so batches are written, and their offsets committed, in the order they were consumed.
/// </summary>
/// <remarks>
/// Its offsets are committed by the consumer's thread once <see cref="Completion"/> says every row is inserted or
/// dead-lettered. <see cref="Abandon"/> (the partitions were revoked) stops the waits between retries while ClickHouse is
/// unavailable; an insert already under way finishes, and its rows are idempotent if the next owner writes them again.
/// </remarks>
internal sealed class BatchWrite
{
    private readonly TaskCompletionSource abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationToken stopping;

    /// <param name="write">Writes the batch; calls its argument to wait between retries (false: give up).</param>
    /// <param name="stopping">Cancels the write itself (shutdown after its grace period).</param>
    public BatchWrite(SinkBatch batch, Func<SinkBatch, Func<TimeSpan, bool>, CancellationToken, Task> write, CancellationToken stopping)
    {
        Batch = batch;
        this.stopping = stopping;
        Completion = Task.Run(async () =>
        {
            try
            {
                await write(batch, WaitBeforeRetry, stopping);
                return true;
            }
            catch (BatchAbandonedException)
            {
                return false;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return false;
            }
        }, CancellationToken.None);
        // The encoded rows go back to the pool when the write ends, however it ends: an abandoned write may still be
        // reading them.
        Completion.ContinueWith(_ => batch.ReleaseRows(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public SinkBatch Batch { get; }

    /// <summary>True once every row is inserted (or its record dead-lettered); false when the write was given up.</summary>
    public Task<bool> Completion { get; }

    public void Abandon() => abandoned.TrySetResult();

    /// <summary>Waits up to <paramref name="timeout"/> for the write; true only if it finished and wrote everything.</summary>
    public bool WaitWritten(TimeSpan timeout) =>
        ((IAsyncResult)Completion).AsyncWaitHandle.WaitOne(timeout) && Completion.IsCompletedSuccessfully && Completion.Result;

    // Blocks the write's pool thread, but only between retries while ClickHouse is unavailable. Shutdown throws out of it.
    private bool WaitBeforeRetry(TimeSpan delay) => !abandoned.Task.Wait((int)delay.TotalMilliseconds, stopping);
}
