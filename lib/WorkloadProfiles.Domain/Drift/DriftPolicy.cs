using System.Text.RegularExpressions;
using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Domain.Drift;

/// <summary>The kinds watched for images whose name matches <see cref="Pattern"/> (a .NET regex over the whole name).</summary>
public sealed record DriftImageRule(string Pattern, DriftKinds Kinds)
{
    private Regex? _regex;

    public bool Matches(string imageName) =>
        (_regex ??= new Regex($"^(?:{Pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50))).IsMatch(imageName);
}

/// <summary>
/// What the drift detector watches and how loud it may get (DESIGN "Drift"): which kinds, per image; from which profile
/// state on; and at most how many drift signals a container raises per window.
/// </summary>
public sealed record DriftPolicy
{
    /// <summary>Kinds for images no <see cref="Images"/> rule matches.</summary>
    public DriftKinds Kinds { get; init; } = DriftKinds.Default;

    /// <summary>Per-image kinds; the first rule whose pattern matches the image name wins.</summary>
    public IReadOnlyList<DriftImageRule> Images { get; init; } = [];

    /// <summary>0: only Stable profiles raise drift. N &gt; 0: also Learning profiles with at least N snapshots.</summary>
    public int MinLearningSnapshots { get; init; }

    /// <summary>Drift signals per container per window; the next one becomes a single <see cref="DriftRules.Overflow"/> signal.</summary>
    public int MaxSignalsPerWindow { get; init; } = 50;

    public static DriftPolicy Default { get; } = new();

    /// <summary>Checks the values (and compiles the patterns) so a bad configuration fails at start, not on the first event.</summary>
    /// <exception cref="ArgumentException">A negative bound or an invalid pattern.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MinLearningSnapshots);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSignalsPerWindow);
        foreach (var rule in Images)
        {
            try { _ = rule.Matches(""); }
            catch (ArgumentException ex) { throw new ArgumentException($"drift image pattern '{rule.Pattern}' is not a valid regex: {ex.Message}", ex); }
        }
    }

    public DriftKinds KindsFor(string? imageName)
    {
        if (imageName is not null)
        {
            foreach (var rule in Images)
                if (rule.Matches(imageName)) return rule.Kinds;
        }
        return Kinds;
    }

    /// <summary>Whether a profile in this state is trusted enough that anything outside it is drift.</summary>
    public bool Watches(ProfileStatus status, long snapshotCount) =>
        status == ProfileStatus.Stable || (MinLearningSnapshots > 0 && snapshotCount >= MinLearningSnapshots);
}
