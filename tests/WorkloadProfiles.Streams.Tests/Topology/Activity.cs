using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Streams.Tests.Topology;

/// <summary>Raw events and batches with explicit event times, as an agent would publish them.</summary>
internal static class Activity
{
    /// <summary>Start of a window-aligned hour: 2024-01-01T00:00Z in µs.</summary>
    public static readonly long T0 = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;

    public static readonly ContainerRef Web1 = new("c-web-1", "nginx", "1.27");
    public static readonly ContainerRef Web2 = new("c-web-2", "nginx", "1.27");

    public static long At(TimeSpan offset) => T0 + (long)offset.TotalMicroseconds;

    public static long Minutes(double minutes) => At(TimeSpan.FromMinutes(minutes));

    public static RawEvent Exec(long ts, int pid, string path, params string[] args) => new()
    {
        Kind = EventKind.Exec,
        TimestampUs = ts,
        Pid = pid,
        Comm = Path.GetFileName(path),
        ExecutablePath = path,
        Args = args.Length == 0 ? [Path.GetFileName(path)] : args,
    };

    public static RawEvent Open(long ts, int pid, string path, string comm = "nginx", int flags = 0) => new()
    {
        Kind = EventKind.Open,
        TimestampUs = ts,
        Pid = pid,
        Comm = comm,
        FilePath = path,
        FileFlags = flags,
    };

    public static RawEvent Dns(long ts, int pid, string name, string comm = "nginx") => new()
    {
        Kind = EventKind.Dns,
        TimestampUs = ts,
        Pid = pid,
        Comm = comm,
        DnsQuestionName = name,
        DnsQuestionType = 1,
        Transport = NetworkTransport.Udp,
        DestinationAddress = "10.96.0.10",
        DestinationPort = 53,
    };

    public static RawEvent ContainerExit(long ts) => new() { Kind = EventKind.ContainerExit, TimestampUs = ts, Pid = 0 };

    static long _sequence;

    public static RawEventBatch Batch(ContainerRef container, params RawEvent[] events) => new()
    {
        Container = container,
        HostName = "node-1",
        AgentId = "agent-1",
        Sequence = Interlocked.Increment(ref _sequence),
        Events = events,
    };

    /// <summary>A typical nginx start: the master execs, reads its config and resolves its upstream.</summary>
    public static RawEvent[] NginxStart(long ts) =>
    [
        Exec(ts, 1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"),
        Open(ts + 10, 1, "/etc/nginx/nginx.conf"),
        Dns(ts + 20, 1, "upstream.internal"),
    ];
}
