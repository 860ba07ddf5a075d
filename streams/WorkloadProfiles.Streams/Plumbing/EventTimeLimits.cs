namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// Which event times the jobs believe (configuration <c>Streams:MaxClockSkewSeconds</c>, <c>Streams:MaxEventDelaySeconds</c>).
/// Event time drives windows, stream time and lateness, so one wrong timestamp — a bit flip, a broken clock, a hostile
/// producer stamping year 2200 — would otherwise advance a partition's stream time for good and make every later valid
/// window late. A time is refused (<c>invalid-value</c>) when it is before the Unix epoch, later than both the record's
/// broker timestamp and the job's wall clock plus the skew, or (for events straight from agents) earlier than the
/// broker timestamp minus the delay an event can take from the kernel to the broker.
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

    /// <summary>Why <paramref name="timeUs"/> cannot be believed, or null when it can.</summary>
    /// <param name="timeUs">The event time (µs since the epoch).</param>
    /// <param name="recordTimestampMs">The record's broker timestamp (ms); negative when the record has none.</param>
    /// <param name="wallClockMs">The job's wall clock (ms).</param>
    /// <param name="checkDelay">Apply <see cref="MaxEventDelay"/> (events straight from an agent).</param>
    public string? Check(long timeUs, long recordTimestampMs, long wallClockMs, bool checkDelay)
    {
        if (timeUs <= 0)
        {
            return $"time {timeUs} µs is not after the Unix epoch";
        }

        var referenceMs = recordTimestampMs >= 0 ? Math.Min(recordTimestampMs, wallClockMs) : wallClockMs;
        var skewUs = (long)MaxClockSkew.TotalMicroseconds;
        if (timeUs / 1000 > referenceMs && timeUs - referenceMs * 1000 > skewUs)
        {
            return $"time {Format(timeUs)} is more than {MaxClockSkew} ahead of the record's timestamp and the job's clock ({Format(referenceMs * 1000)})";
        }

        if (checkDelay && MaxEventDelay > TimeSpan.Zero && recordTimestampMs >= 0
            && recordTimestampMs * 1000 - timeUs > (long)MaxEventDelay.TotalMicroseconds)
        {
            return $"time {Format(timeUs)} is more than {MaxEventDelay} (Streams:MaxEventDelaySeconds) before its record's timestamp ({Format(recordTimestampMs * 1000)})";
        }

        return null;
    }

    static string Format(long us) =>
        us / 1000 is var ms && ms > DateTimeOffset.MinValue.ToUnixTimeMilliseconds() && ms < DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("O", System.Globalization.CultureInfo.InvariantCulture)
            : $"{us} µs";
}
