namespace WorkloadProfiles.Detection.Rules;

/// <summary>A rule with its condition compiled to a delegate; <paramref name="Line"/> is where it starts in its file.</summary>
internal sealed record CompiledRule(Rule Rule, Condition Condition, int Line);
