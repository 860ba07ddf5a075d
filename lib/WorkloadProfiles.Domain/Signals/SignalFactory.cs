using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Domain.Signals;

/// <summary>Turns an event that raised a signal (a matching rule, a drift from the profile) into the signal's behaviour,
/// acting process, id and message.</summary>
public static class SignalFactory
{

    /// <summary>
    /// The behaviour in profile terms: the raw (un-normalized) detail, so <see cref="NodeIdentity.ForBehaviour"/> applies the
    /// same normalization the snapshot builder applied when the profile learnt the node.
    /// </summary>
    public static Behaviour BehaviourOf(RawEvent e, IReadOnlyList<ProcessRef> ancestry) => e.Kind switch
    {
        EventKind.Open => new Behaviour
        {
            Kind = NodeKind.File,
            Ancestry = ancestry,
            FilePath = e.FilePath ?? "",
            Access = AccessOf(e.FileFlags),
        },
        EventKind.Dns => new Behaviour
        {
            Kind = NodeKind.Dns,
            Ancestry = ancestry,
            DnsQuestionName = e.DnsQuestionName ?? "",
            DestinationAddress = e.DestinationAddress,
            DestinationPort = e.DestinationPort,
            Transport = e.Transport,
        },
        EventKind.Connect => new Behaviour
        {
            Kind = NodeKind.Network,
            Ancestry = ancestry,
            Transport = e.Transport,
            DestinationAddress = e.DestinationAddress,
            DestinationPort = e.DestinationPort,
        },
        _ => new Behaviour { Kind = NodeKind.Process, Ancestry = ancestry },
    };

    /// <summary>open(2) flags to access: O_ACCMODE 0 = read, 1 = write, 2 = both; O_CREAT/O_TRUNC imply write.</summary>
    public static FileAccessMode AccessOf(int flags)
    {
        var mode = (flags & 0x3) switch
        {
            0 => FileAccessMode.Read,
            1 => FileAccessMode.Write,
            _ => FileAccessMode.Read | FileAccessMode.Write,
        };
        return (flags & (0x40 | 0x200)) != 0 ? mode | FileAccessMode.Write : mode;
    }

    /// <param name="source">Who raised it: "rules", "drift", …</param>
    /// <param name="note">Appended to the message (e.g. why a behaviour is drift).</param>
    public static SecuritySignal Create(string source, string ruleId, string ruleName, string ruleDescription, Severity severity, IReadOnlyList<string> tags,
        RawEvent e, ContainerRef container, string hostName, Behaviour behaviour, ProcessImage image, string? note = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(image);
        var process = ActingProcessOf(e, image);
        var detail = Detail(e, behaviour, process);
        return new SecuritySignal
        {
            SignalId = MakeId(ruleId, container.Id, e.TimestampUs, e.Pid, KeyOf(e)),
            RuleId = ruleId,
            RuleName = ruleName,
            RuleDescription = ruleDescription,
            Severity = severity,
            TimestampUs = e.TimestampUs,
            Source = source,
            Container = container,
            HostName = hostName,
            Message = $"{ruleName}: {detail}{note} (container {ShortId(container.Id)}, image {ImageOf(container)})",
            Tags = tags,
            Process = process,
            Behaviour = behaviour,
        };
    }

    /// <summary>The process that acted, from the event itself (pid, credentials, start) and the image it runs (path, argv,
    /// working directory) — its own, not the first process seen as its node.</summary>
    public static ActingProcess ActingProcessOf(RawEvent e, ProcessImage image) => new()
    {
        ExecutablePath = e is { Kind: EventKind.Exec, ExecutablePath: { Length: > 0 } path } ? path : image.Process.ExecutablePath,
        Args = e is { Kind: EventKind.Exec, Args: { } args } ? args : image.Process.Args,
        Name = e.Comm,
        Pid = e.Pid,
        Tid = e.Tid,
        Ppid = e.Ppid,
        Uid = e.Uid,
        Gid = e.Gid,
        WorkingDirectory = e.Kind == EventKind.Exec ? e.WorkingDirectory : image.WorkingDirectory,
        StartUs = e.ProcessStartUs != 0 ? e.ProcessStartUs : image.Process.Pid == e.Pid ? image.Process.StartUs : 0,
    };

    /// <summary>
    /// Deterministic id: SHA-256 of (rule, container, event time, pid, event key), first 128 bits as hex. A replayed batch
    /// yields the same ids, so consumers can de-duplicate; two distinct events of one process in the same microsecond
    /// differ by key.
    /// </summary>
    public static string MakeId(string ruleId, string containerId, long timestampUs, int pid, string key)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{ruleId}\n{containerId}\n{timestampUs}\n{pid}\n{key}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    private static string KeyOf(RawEvent e) => e.Kind switch
    {
        EventKind.Exec => e.ExecutablePath ?? e.Comm,
        EventKind.Open => e.FilePath ?? "",
        EventKind.Dns => e.DnsQuestionName ?? "",
        EventKind.Connect => string.Create(CultureInfo.InvariantCulture, $"{e.Transport}/{e.DestinationAddress}/{e.DestinationPort}"),
        _ => e.Kind.ToString(),
    };

    /// <summary>What happened, in the words of the acting process's own command line (not its node's).</summary>
    private static string Detail(RawEvent e, Behaviour b, ActingProcess p)
    {
        var who = $"`{CommandLine(p.Args, p.ExecutablePath)}` ({p.ExecutablePath}, pid {p.Pid}";
        return e.Kind switch
        {
            EventKind.Exec => $"exec {who}" + (b.Ancestry.Count > 1 ? $", parent `{CommandLine(b.Ancestry[^2].Args, b.Ancestry[^2].ExecutablePath)}`)" : ")"),
            EventKind.Open => $"{who}) opened {e.FilePath} for {(b.Access.HasFlag(FileAccessMode.Write) ? "write" : "read")}",
            EventKind.Dns => $"{who}) resolved {e.DnsQuestionName}",
            EventKind.Connect => $"{who}) connected to {e.Transport.ToString().ToLowerInvariant()} {e.DestinationAddress}:{e.DestinationPort}",
            _ => $"{who})",
        };
    }

    private static string CommandLine(IReadOnlyList<string> args, string executable) => args.Count > 0 ? string.Join(' ', args) : executable;

    private static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    private static string ImageOf(ContainerRef c) => c.HasImage ? $"{c.ImageName}:{c.ImageTag}" : "unresolved";
}
