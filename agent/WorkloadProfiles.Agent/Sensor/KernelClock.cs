using System.Runtime.InteropServices;

namespace WorkloadProfiles.Agent.Sensor;

/// <summary>
/// Converts the sensor's bpf_ktime_get_ns() (CLOCK_MONOTONIC) to wall-clock microseconds since the Unix epoch.
/// The offset is sampled once, bracketing a realtime read between two monotonic reads to bound the error; NTP
/// slews after start are not followed (a window is 30 min; the drift is negligible against it).
/// </summary>
internal sealed partial class KernelClock
{
    private const int ClockRealtime = 0, ClockMonotonic = 1, ClockBoottime = 7;
    private readonly long _offsetNs;

    private KernelClock(long offsetNs) => _offsetNs = offsetNs;

    /// <summary>Wall clock minus monotonic clock, in nanoseconds.</summary>
    public long OffsetNs => _offsetNs;

    public static KernelClock Sample()
    {
        var best = long.MaxValue;
        long offset = 0;
        for (var i = 0; i < 5; i++)
        {
            var before = Now(ClockMonotonic);
            var wall = Now(ClockRealtime);
            var after = Now(ClockMonotonic);
            if (after - before < best)
            {
                best = after - before;
                offset = wall - (before + (after - before) / 2);
            }
        }
        return new KernelClock(offset);
    }

    public static KernelClock WithOffset(long offsetNs) => new(offsetNs);

    public long ToUnixMicroseconds(ulong ktimeNs) => ((long)ktimeNs + _offsetNs) / 1000;

    /// <summary>Now, in the time base of the events this clock stamps (immune to wall-clock steps after start).</summary>
    public long NowUnixMicroseconds() => ToUnixMicroseconds(MonotonicNowNs());

    /// <summary>When the machine booted, wall-clock microseconds: the base of /proc's process start times.</summary>
    public static long BootWallClockUs() => (Now(ClockRealtime) - Now(ClockBoottime)) / 1000;

    /// <summary>The current CLOCK_MONOTONIC reading, in the sensor's time base.</summary>
    public static ulong MonotonicNowNs() => (ulong)Now(ClockMonotonic);

    private static unsafe long Now(int clock)
    {
        Timespec ts;
        if (clock_gettime(clock, &ts) != 0) throw new InvalidOperationException($"clock_gettime({clock}) failed");
        return ts.Seconds * 1_000_000_000L + ts.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static unsafe partial int clock_gettime(int clock, Timespec* ts);
}
