namespace WorkloadProfiles.Detection;

/// <summary>
/// Options of the rules engine, bound from the <c>Detection</c> configuration section
/// (environment: <c>WP_Detection__RulesPath</c>, …).
/// </summary>
public sealed record DetectionOptions
{
    public const string SectionName = "Detection";

    /// <summary>A rule file or a directory of <c>*.yaml</c> rule files replacing the built-in set; null or empty = built-in.</summary>
    public string? RulesPath { get; init; }

    /// <summary>
    /// Containers whose process lineage is kept. Beyond it the least recently seen container's table is evicted (counted);
    /// its next events start a fresh lineage, so ancestry is shallower until its processes exec again.
    /// </summary>
    public int MaxContainers { get; init; } = 4_096;

    /// <summary>
    /// Live pids, and distinct process nodes, kept per container. A table that grows past it (lost exit events, endless
    /// distinct command lines) is reset (counted) rather than growing without bound.
    /// </summary>
    public int MaxProcessesPerContainer { get; init; } = 16_384;

    public static DetectionOptions Default { get; } = new();

    internal void Validate()
    {
        if (MaxContainers < 1) throw new ArgumentOutOfRangeException(nameof(MaxContainers), MaxContainers, "must be at least 1");
        if (MaxProcessesPerContainer < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxProcessesPerContainer), MaxProcessesPerContainer, "must be at least 1");
    }
}
