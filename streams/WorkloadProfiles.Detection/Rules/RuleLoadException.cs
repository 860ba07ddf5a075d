namespace WorkloadProfiles.Detection.Rules;

/// <summary>One problem found while loading rules: where (file, line, rule id) and what.</summary>
public sealed record RuleLoadError(string Source, int Line, string? RuleId, string Message)
{
    public override string ToString() =>
        RuleId is null ? $"{Source}:{Line}: {Message}" : $"{Source}:{Line}: rule '{RuleId}': {Message}";
}

/// <summary>
/// Rules failed to load. Every problem of the file is listed (not only the first), each with the file, line and rule id,
/// so one edit-reload cycle fixes them all.
/// </summary>
public sealed class RuleLoadException : Exception
{
    public RuleLoadException(IReadOnlyList<RuleLoadError> errors)
        : base(Describe(errors)) => Errors = errors;

    public RuleLoadException() : this([]) { }
    public RuleLoadException(string message) : base(message) => Errors = [];
    public RuleLoadException(string message, Exception innerException) : base(message, innerException) => Errors = [];

    public IReadOnlyList<RuleLoadError> Errors { get; }

    private static string Describe(IReadOnlyList<RuleLoadError> errors) => errors.Count switch
    {
        0 => "Rules failed to load.",
        1 => $"Rules failed to load: {errors[0]}",
        _ => $"Rules failed to load ({errors.Count} errors):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors),
    };
}
