using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Contracts.Recordings;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Recording;

/// <summary>
/// `agent replay`: publishes a recording's batches in order. With <c>speed</c> &gt; 0 the gaps between batches are
/// reproduced, divided by the speed (2 = twice as fast); 0 publishes as fast as the publisher takes them.
/// With <c>shiftToNow</c>, every timestamp moves by the same amount so the recording starts now: the stream jobs
/// then window it like live traffic instead of as late data.
/// </summary>
internal static class Replayer
{
    public static async Task<long> ReplayAsync(string path, IEventPublisher publisher, double speed, bool shiftToNow,
        TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(speed);
        using var reader = new RecordingReader(File.OpenRead(path));
        long published = 0;
        long? firstUs = null;
        long shiftUs = 0;
        var started = time.GetTimestamp();
        while (reader.TryRead(out var batch))
        {
            var batchUs = batch.Events.Count > 0 ? batch.Events[0].TimestampUs : firstUs ?? 0;
            if (firstUs is null)
            {
                firstUs = batchUs;
                if (shiftToNow) shiftUs = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 - batchUs;
            }
            if (speed > 0)
            {
                var due = TimeSpan.FromMicroseconds((batchUs - firstUs.Value) / speed);
                var wait = due - time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, cancellationToken);
            }
            publisher.Publish(shiftUs == 0 ? batch : Shift(batch, shiftUs));
            published++;
        }
        await publisher.FlushAsync(cancellationToken);
        return published;
    }

    private static RawEventBatch Shift(RawEventBatch batch, long shiftUs) => batch with
    {
        Events = [.. batch.Events.Select(e => e with { TimestampUs = e.TimestampUs + shiftUs })],
    };
}
