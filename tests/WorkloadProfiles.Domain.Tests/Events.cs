using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Domain.Tests;

/// <summary>Raw event factories: the shapes the agent produces.</summary>
internal static class Events
{
    public static RawEvent Exec(long at, int pid, string path, params string[] args) => new()
    {
        Kind = EventKind.Exec, TimestampUs = at, Pid = pid, Comm = Comm(path), ExecutablePath = path,
        Args = args.Length == 0 ? [Comm(path)] : args,
    };

    public static RawEvent ExecChild(long at, int pid, int ppid, string path, params string[] args) =>
        Exec(at, pid, path, args) with { Ppid = ppid };

    public static RawEvent Fork(long at, int pid, int child, string comm = "") =>
        new() { Kind = EventKind.Fork, TimestampUs = at, Pid = pid, ChildPid = child, Comm = comm };

    public static RawEvent Exit(long at, int pid) => new() { Kind = EventKind.Exit, TimestampUs = at, Pid = pid };

    public static RawEvent Open(long at, int pid, string path, int flags = 0) =>
        new() { Kind = EventKind.Open, TimestampUs = at, Pid = pid, FilePath = path, FileFlags = flags };

    public static RawEvent Dns(long at, int pid, string name) =>
        new() { Kind = EventKind.Dns, TimestampUs = at, Pid = pid, DnsQuestionName = name, DnsQuestionType = 1, DestinationPort = 53, Transport = NetworkTransport.Udp };

    public static RawEvent Connect(long at, int pid, string address, int port, NetworkTransport transport = NetworkTransport.Tcp) =>
        new() { Kind = EventKind.Connect, TimestampUs = at, Pid = pid, DestinationAddress = address, DestinationPort = port, Transport = transport };

    public static RawEvent ContainerExit(long at) => new() { Kind = EventKind.ContainerExit, TimestampUs = at, Pid = 0 };

    /// <summary>A list FsCheck prints readably when a property fails.</summary>
    public sealed record RawEventList(IReadOnlyList<RawEvent> Items)
    {
        public override string ToString() => string.Join(", ", Items.Select(e => $"{e.Kind}(pid {e.Pid}, ppid {e.Ppid}, child {e.ChildPid}, {e.ExecutablePath})"));
    }

    private static string Comm(string path)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        return name.Length > 15 ? name[..15] : name;
    }
}
