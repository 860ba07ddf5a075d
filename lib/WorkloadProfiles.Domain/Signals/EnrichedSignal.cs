using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Domain.Signals;

/// <summary>What the profile knows about a signal's image and behaviour.</summary>
public sealed record ProfileContext
{
    public required string ImageName { get; init; }
    public required string ImageTag { get; init; }
    public ProfileStatus Status { get; init; }
    public long SnapshotCount { get; init; }
    public double ProfileCommonality { get; init; }
    public long LastUpdatedUs { get; init; }
    public bool BehaviourInProfile { get; init; }
    public ulong? NodeId { get; init; }
    public double? NodeCommonality { get; init; }
    public double? NodeContainerCommonality { get; init; }
    public long? NodeFirstSeenUs { get; init; }
    public long? NodeLastSeenUs { get; init; }
    /// <summary>Path of the profile page in the explorer, e.g. <c>/profiles/nginx/1.27</c>.</summary>
    public required string ProfileLink { get; init; }
    /// <summary>The commonality threshold the suggestion was judged against (<see cref="SuggestionPolicy.MinNodeCommonality"/>).</summary>
    public double Threshold { get; init; }
    /// <summary>When the behaviour is not in the profile: the deepest process node of its ancestry the profile knows, so an
    /// engineer sees where the unknown part begins (null when none is known, or when the behaviour is in the profile).</summary>
    public ulong? ClosestKnownNodeId { get; init; }
    public string? ClosestKnownNodeKey { get; init; }
}

/// <summary>Why the behaviour is believed normal. <see cref="SignatureCommonality"/>: the lowest commonality of the
/// ancestry's argument signatures (1 when the ancestry is empty).</summary>
public sealed record SuggestionEvidence(double NodeCommonality, double NodeContainerCommonality, long SnapshotCount, long FirstSeenUs, long LastSeenUs,
    double SignatureCommonality = 1);

/// <summary>A proposal to suppress a rule for one behaviour of one image — never broader than the node.</summary>
public sealed record SuppressionSuggestion
{
    public required string RuleId { get; init; }
    public required string ImageName { get; init; }
    public required ulong NodeId { get; init; }
    /// <summary>Machine-checkable scope, e.g. <c>container.image.name == "nginx" &amp;&amp; behaviour.node_id == "00ab…"</c>.</summary>
    public required string Expression { get; init; }
    /// <summary>Human-readable behaviour, e.g. <c>/usr/sbin/nginx › /bin/sh -c * › open /etc/nginx/*.conf</c>.</summary>
    public required string Description { get; init; }
    /// <summary>The argument signature of each process of the behaviour's ancestry, root first: the suppression covers
    /// exactly these (never the same program run with other arguments).</summary>
    public IReadOnlyList<string> Signatures { get; init; } = [];
    public required SuggestionEvidence Evidence { get; init; }
}

/// <summary>The value of <c>wp.signals.enriched</c>. <see cref="Profile"/> null means "profile: none".</summary>
public sealed record EnrichedSignal
{
    public required SecuritySignal Signal { get; init; }
    public ProfileContext? Profile { get; init; }
    public SuppressionSuggestion? Suggestion { get; init; }
    /// <summary>Why there is no suggestion (no profile, node unseen, below threshold, too few snapshots…), for the side panel.</summary>
    public string? NoSuggestionReason { get; init; }
    public long EnrichedAtUs { get; init; }
}
