namespace WorkloadProfiles.Detection.Rules;

/// <summary>A rule with its condition compiled to a delegate; <paramref name="Line"/> is where it starts in its file.</summary>
/// <param name="ReadsOnlyFile">The condition reads nothing but <c>file.*</c>, so its outcome is a function of the opened
/// path and flags and the engine may remember it per (path, flags).</param>
internal sealed record CompiledRule(Rule Rule, Condition Condition, int Line, bool ReadsOnlyFile = false);
