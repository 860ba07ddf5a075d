using System.Globalization;

namespace WorkloadProfiles.Explorer;

/// <summary>
/// The pipeline's Stable rule and suggestion thresholds, read from the same keys the stream jobs read
/// (<c>Profiles:StableSnapshotCount</c>, <c>Profiles:StableAfterHours</c>, <c>Streams:TimeScale</c>,
/// <c>Suggestions:MinNodeCommonality</c>, <c>Suggestions:MinLearningSnapshots</c>), so one configuration file gives the
/// explorer the numbers a profile's learning progress and a suggestion are measured against.
/// </summary>
public sealed record PipelinePolicy
{
    public int StableSnapshotCount { get; init; } = 200;
    public double StableAfterHours { get; init; } = 48;
    /// <summary>Divides the Stable-after time in time-scaled demos, as it does in the stream jobs.</summary>
    public double TimeScale { get; init; } = 1;
    public double MinNodeCommonality { get; init; } = 0.8;
    public int MinLearningSnapshots { get; init; } = 50;

    /// <summary>The hours after the first processed snapshot at which a profile turns Stable, after time scaling.</summary>
    public double EffectiveStableAfterHours => StableAfterHours / TimeScale;

    public static PipelinePolicy From(IConfiguration configuration)
    {
        var d = new PipelinePolicy();
        var policy = new PipelinePolicy
        {
            StableSnapshotCount = configuration.GetValue("Profiles:StableSnapshotCount", d.StableSnapshotCount),
            StableAfterHours = configuration.GetValue("Profiles:StableAfterHours", d.StableAfterHours),
            TimeScale = configuration.GetValue("Streams:TimeScale", d.TimeScale),
            MinNodeCommonality = configuration.GetValue("Suggestions:MinNodeCommonality", d.MinNodeCommonality),
            MinLearningSnapshots = configuration.GetValue("Suggestions:MinLearningSnapshots", d.MinLearningSnapshots),
        };
        policy.Validate();
        return policy;
    }

    public void Validate()
    {
        if (StableSnapshotCount < 1) throw new InvalidOperationException("Profiles:StableSnapshotCount must be at least 1.");
        if (!(StableAfterHours > 0)) throw new InvalidOperationException("Profiles:StableAfterHours must be positive.");
        if (!(TimeScale > 0)) throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Streams:TimeScale must be positive, not {TimeScale}."));
        if (MinNodeCommonality is < 0 or > 1 || double.IsNaN(MinNodeCommonality))
            throw new InvalidOperationException("Suggestions:MinNodeCommonality must be within [0, 1].");
        if (MinLearningSnapshots < 0) throw new InvalidOperationException("Suggestions:MinLearningSnapshots must not be negative.");
    }
}
