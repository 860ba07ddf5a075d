using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Detection.Rules;

/// <summary>The kind of raw event a rule is evaluated on (<c>event:</c> in YAML).</summary>
public enum RuleEvent
{
    /// <summary>A process replaced its image (execve).</summary>
    Exec = 0,
    /// <summary>A file was opened.</summary>
    Open = 1,
    /// <summary>A DNS question was sent.</summary>
    Dns = 2,
    /// <summary>An inet socket connected.</summary>
    Connect = 3,
}

/// <summary>
/// One detection rule as written in YAML. <see cref="Condition"/> is a DynamicExpresso (C#-subset) boolean expression over the
/// fields documented in <c>rules/default.yaml</c>; it is compiled once, when the <see cref="RuleSet"/> loads.
/// </summary>
public sealed record Rule
{
    /// <summary>Stable id, referenced by suppressions: lower-case letters, digits, '.', '-' and '_'.</summary>
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public required Severity Severity { get; init; }
    public required RuleEvent Event { get; init; }
    public required string Condition { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>A disabled rule is still validated and compiled (so a typo fails the load) but never evaluated.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>Where the rule came from, <c>file:line</c>, for error messages and operators.</summary>
    public string Source { get; init; } = "";
}
