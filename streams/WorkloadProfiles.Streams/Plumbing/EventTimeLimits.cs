namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// Which event times the jobs believe (configuration <c>Streams:MaxClockSkewSeconds</c>, <c>Streams:MaxEventDelaySeconds</c>).
/// Event time drives windows, stream time and lateness, so one wrong timestamp — a bit flip, a broken clock, a hostile
/// producer stamping year 2200 — would otherwise advance a partition's stream time for good and make every later valid
/// window late. A time is refused (<c>invalid-value</c>) when it is not after the Unix epoch or is ahead of the job's
/// wall clock by more than the skew; an agent's event also when it is ahead of its record's broker timestamp by more than
/// the skew, or behind it by more than the delay an event can take from the kernel to the broker.
/// </summary>
public sealed record EventTimeLimits
{
    /// <summary>How far an event may be ahead of its record's timestamp and of the job's clock (clock skew between hosts).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How far an agent's event may be behind its record's broker timestamp (batching, broker outages the producer rides
    /// out); zero turns the check off. <c>wp-agent replay</c> of an old recording needs <c>--shift-to-now</c>.
    /// </summary>
    public TimeSpan MaxEventDelay { get; init; } = TimeSpan.FromHours(24);

    public static EventTimeLimits Default { get; } = new();

    /// <summary>Why an agent's event time cannot be believed, or null when it can.</summary>
    /// <param name="timeUs">The event time (µs since the epoch).</param>
    /// <param name="recordTimestampMs">The record's broker timestamp (ms); negative when the record has none.</param>
    /// <param name="wallClockMs">The job's wall clock (ms).</param>
    public string? CheckEvent(long timeUs, long recordTimestampMs, long wallClockMs)
    {
        var referenceMs = recordTimestampMs >= 0 ? Math.Min(recordTimestampMs, wallClockMs) : wallClockMs;
        if (Check(timeUs, referenceMs, recordTimestampMs >= 0 ? "the record's timestamp and the job's clock" : "the job's clock") is { } problem)
        {
            return problem;
        }

        if (MaxEventDelay > TimeSpan.Zero && recordTimestampMs >= 0 && recordTimestampMs * 1000 - timeUs > (long)MaxEventDelay.TotalMicroseconds)
        {
            return $"time {Format(timeUs)} is more than {MaxEventDelay} (Streams:MaxEventDelaySeconds) before its record's timestamp ({Format(recordTimestampMs * 1000)})";
        }

        return null;
    }

    /// <summary>
    /// The event times <see cref="CheckEvent"/> accepts for one record, as an inclusive range: what a job checks per event
    /// (the message comes from <see cref="CheckEvent"/> for the few outside it).
    /// </summary>
    public (long MinUs, long MaxUs) EventRange(long recordTimestampMs, long wallClockMs)
    {
        var referenceMs = recordTimestampMs >= 0 ? Math.Min(recordTimestampMs, wallClockMs) : wallClockMs;
        var maxUs = SaturatingAdd(referenceMs * 1000, (long)MaxClockSkew.TotalMicroseconds);
        var minUs = MaxEventDelay > TimeSpan.Zero && recordTimestampMs >= 0
            ? Math.Max(1, recordTimestampMs * 1000 - (long)MaxEventDelay.TotalMicroseconds)
            : 1;
        return (minUs, maxUs);
    }

    static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    /// <summary>
    /// Why a time in a record made from events (a snapshot's window and nodes, a profile's nodes, a signal, a Falco alert)
    /// cannot be believed, or null when it can: judged against the job's clock alone, since such a record may be written
    /// long after its events (a window closed when the container went quiet) or re-read long after it was written.
    /// </summary>
    public string? CheckTime(long timeUs, long wallClockMs) => Check(timeUs, wallClockMs, "the job's clock");

    string? Check(long timeUs, long referenceMs, string reference)
    {
        if (timeUs <= 0)
        {
            return $"time {timeUs} µs is not after the Unix epoch";
        }

        if (timeUs / 1000 > referenceMs && timeUs - referenceMs * 1000 > (long)MaxClockSkew.TotalMicroseconds)
        {
            return $"time {Format(timeUs)} is more than {MaxClockSkew} (Streams:MaxClockSkewSeconds) ahead of {reference} ({Format(referenceMs * 1000)})";
        }

        return null;
    }

    static string Format(long us) =>
        us / 1000 is var ms && ms > DateTimeOffset.MinValue.ToUnixTimeMilliseconds() && ms < DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("O", System.Globalization.CultureInfo.InvariantCulture)
            : $"{us} µs";
}
