using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Detection.Tests;

/// <summary>Builders for raw events and batches as the agent would send them.</summary>
internal static class Events
{
    public const string ContainerId = "3f2a9c1d7b6e4f5a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b";
    public static readonly ContainerRef Nginx = new(ContainerId, "nginx", "1.27");

    private static long _clock = 1_700_000_000_000_000;

    public static long Now() => Interlocked.Add(ref _clock, 1_000);

    public static RawEvent Exec(int pid, string path, params string[] args) => new()
    {
        Kind = EventKind.Exec,
        TimestampUs = Now(),
        Pid = pid,
        Comm = Path.GetFileName(path),
        ExecutablePath = path,
        Args = args.Length == 0 ? [Path.GetFileName(path)] : args,
    };

    public static RawEvent Fork(int parent, int child, string comm = "") => new()
    {
        Kind = EventKind.Fork,
        TimestampUs = Now(),
        Pid = parent,
        ChildPid = child,
        Comm = comm,
    };

    public static RawEvent Exit(int pid) => new() { Kind = EventKind.Exit, TimestampUs = Now(), Pid = pid };

    public const int ReadOnly = 0, WriteOnly = 0x1, ReadWrite = 0x2, Create = 0x40;

    public static RawEvent Open(int pid, string path, int flags = ReadOnly, string comm = "app") => new()
    {
        Kind = EventKind.Open,
        TimestampUs = Now(),
        Pid = pid,
        Comm = comm,
        FilePath = path,
        FileFlags = flags,
    };

    public static RawEvent Dns(int pid, string name, string comm = "app") => new()
    {
        Kind = EventKind.Dns,
        TimestampUs = Now(),
        Pid = pid,
        Comm = comm,
        DnsQuestionName = name,
        DnsQuestionType = 1,
        Transport = NetworkTransport.Udp,
        DestinationAddress = "10.96.0.10",
        DestinationPort = 53,
    };

    public static RawEvent Connect(int pid, string address, int port, string comm = "app") => new()
    {
        Kind = EventKind.Connect,
        TimestampUs = Now(),
        Pid = pid,
        Comm = comm,
        Transport = NetworkTransport.Tcp,
        DestinationAddress = address,
        DestinationPort = port,
    };

    public static RawEvent ContainerExit() => new() { Kind = EventKind.ContainerExit, TimestampUs = Now(), Pid = 0 };

    public static RawEventBatch Batch(params RawEvent[] events) => Batch(Nginx, events);

    public static RawEventBatch Batch(ContainerRef container, params RawEvent[] events) => new()
    {
        Container = container,
        HostName = "node-1",
        AgentId = "agent-1",
        Events = events,
    };
}
