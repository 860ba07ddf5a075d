using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Domain.Signals;

public enum Severity { Info = 0, Low = 1, Medium = 2, High = 3, Critical = 4 }

/// <summary>One process in a signal's ancestry: what the node identity of a process needs.</summary>
public sealed record ProcessRef(string ExecutablePath, IReadOnlyList<string> Args);

/// <summary>
/// The behaviour a signal is about, in the same terms as a profile: the process lineage from the container root
/// (root first, the acting process last) and, for a leaf behaviour, the file/DNS/network detail.
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
    public Severity Severity { get; init; }
    public required long TimestampUs { get; init; }
    /// <summary>"rules" (the built-in engine) or "falco".</summary>
    public required string Source { get; init; }
    public required ContainerRef Container { get; init; }
    public string HostName { get; init; } = "";
    public string Message { get; init; } = "";
    public IReadOnlyList<string> Tags { get; init; } = [];
    public required Behaviour Behaviour { get; init; }
}
