using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Domain.Signals;

/// <summary>When a signal's behaviour is normal enough to suggest suppressing (DESIGN "Suppression suggestion").</summary>
public sealed record SuggestionPolicy
{
    /// <summary>Minimum node commonality (default 0.8).</summary>
    public double MinNodeCommonality { get; init; } = 0.8;
    /// <summary>A Learning profile may suggest once it has at least this many snapshots.</summary>
    public int MinLearningSnapshots { get; init; } = 50;
    /// <summary>Path of the explorer's profile page; {image} and {tag} are URL-escaped.</summary>
    public string ProfileLinkTemplate { get; init; } = "/profiles/{image}/{tag}";
    public static SuggestionPolicy Default { get; } = new();
}

/// <summary>Matches a signal against a profile: profile context always (when a profile exists), a suggestion when the policy allows.</summary>
public sealed class SuggestionMatcher
{
    public SuggestionMatcher(SuggestionPolicy? policy = null) => throw new NotImplementedException();

    /// <param name="profile">The profile of the signal's image@version, or null when none exists yet.</param>
    public EnrichedSignal Enrich(SecuritySignal signal, SecurityProfile? profile, long nowUs) => throw new NotImplementedException();
}
