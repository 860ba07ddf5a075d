using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Domain.Signals;

public enum Severity { Info = 0, Low = 1, Medium = 2, High = 3, Critical = 4 }

/// <summary>
/// One process in a signal's ancestry, as it was exec'd: what the node identity of a process needs (path and argv), and
/// which process it was (pid and start time; 0 when unknown).
/// </summary>
public sealed record ProcessRef(string ExecutablePath, IReadOnlyList<string> Args)
{
    public int Pid { get; init; }
    public long StartUs { get; init; }
}

/// <summary>process.*: the process that acted, as the kernel captured it — never a representative of its node.</summary>
public sealed record ActingProcess
{
    /// <summary>process.executable: the binary it runs (its own, or its parent's while a forked child has not exec'd).</summary>
    public required string ExecutablePath { get; init; }
    /// <summary>process.args including argv[0].</summary>
    public IReadOnlyList<string> Args { get; init; } = [];
    /// <summary>process.name: the kernel comm.</summary>
    public string Name { get; init; } = "";
    public int Pid { get; init; }
    public int Tid { get; init; }
    public int Ppid { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    /// <summary>process.working_directory when its program was exec'd; null when not captured.</summary>
    public string? WorkingDirectory { get; init; }
    /// <summary>process.start, wall-clock microseconds; 0 when unknown.</summary>
    public long StartUs { get; init; }
}

/// <summary>
/// The behaviour a signal is about, in the same terms as a profile: the process lineage from the container root
/// (root first, the acting process's image last; each entry the real process with its own argv) and, for a leaf
/// behaviour, the file/DNS/network detail.
/// </summary>
public sealed record Behaviour
{
    public required NodeKind Kind { get; init; }
    public required IReadOnlyList<ProcessRef> Ancestry { get; init; }
    public string? FilePath { get; init; }
    public FileAccessMode Access { get; init; }
    public string? DnsQuestionName { get; init; }
    public NetworkTransport Transport { get; init; }
    public string? DestinationAddress { get; init; }
    public int DestinationPort { get; init; }
}

/// <summary>The value of <c>wp.signals</c>: produced by the rules engine and the Falco bridge.</summary>
public sealed record SecuritySignal
{
    /// <summary>Deterministic (rule + container + event) so a replay yields the same id.</summary>
    public required string SignalId { get; init; }
    public required string RuleId { get; init; }
    public required string RuleName { get; init; }
    /// <summary>rule.description: what the rule detects and why (empty when the source has none, e.g. a Falco alert).</summary>
    public string RuleDescription { get; init; } = "";
    public Severity Severity { get; init; }
    public required long TimestampUs { get; init; }
    /// <summary>"rules" (the built-in engine), "drift" (behaviour a Stable profile never saw) or "falco".</summary>
    public required string Source { get; init; }
    public required ContainerRef Container { get; init; }
    public string HostName { get; init; } = "";
    public string Message { get; init; } = "";
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>The acting process; null for signals that do not carry one (older records, some Falco alerts).</summary>
    public ActingProcess? Process { get; init; }
    public required Behaviour Behaviour { get; init; }
}
