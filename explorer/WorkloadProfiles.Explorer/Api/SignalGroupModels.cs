namespace WorkloadProfiles.Explorer.Api;

// The signals view (grouped) and the profile page's charts. Same conventions as ApiModels.cs.

/// <summary>
/// Signals of one rule, one image and one behaviour. <see cref="Behaviour"/> is the profile node id (16 hex digits) or,
/// for signals enriched without a profile, <c>u</c> + a hash of the raw behaviour; <see cref="NodeId"/> is null then.
/// </summary>
public sealed record SignalGroupView(
    string RuleId,
    string RuleName,
    bool Drift,
    string ImageName,
    IReadOnlyList<string> ImageTags,
    string Behaviour,
    string? NodeId,
    string BehaviourKind,
    string BehaviourProcess,
    string BehaviourDetail,
    string Description,
    ulong Count,
    ulong Containers,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string Severity,
    ulong Suggested,
    /// <summary><c>suppressed</c> (an active suppression covers the group), <c>all</c>, <c>some</c> or <c>none</c> of its signals suggested, or <c>never</c> (drift).</summary>
    string SuggestionState,
    SuppressionView? Suppression,
    string LatestSignalId,
    IReadOnlyList<string> Namespaces,
    string Link);

public sealed record SignalGroupList(
    IReadOnlyList<SignalGroupView> Groups,
    int Page,
    int PageSize,
    ulong TotalGroups,
    ulong TotalSignals,
    /// <summary>Whether the warehouse records namespaces (the namespace filter is offered only then).</summary>
    bool Namespaces);

public sealed record SignalPage(IReadOnlyList<SignalSummary> Signals, int Page, int PageSize, ulong Total);

public sealed record FacetValue(string Value, string Label, ulong Count);

public sealed record SignalFacetsView(
    IReadOnlyList<FacetValue> Rules,
    IReadOnlyList<FacetValue> Images,
    IReadOnlyList<FacetValue> Severities,
    IReadOnlyList<FacetValue> Namespaces);

/// <summary>The thresholds suggestions are judged against, as this deployment configures them (<c>Suggestions:*</c>).</summary>
public sealed record SuggestionPolicyView(double MinNodeCommonality, int MinLearningSnapshots);

/// <summary>
/// How far a Learning profile is from Stable under both rules (<see cref="StableSnapshotCount"/> snapshots, or
/// <see cref="StableAfterHours"/> after the first processed snapshot, whichever comes first), or when and why it turned Stable.
/// </summary>
public sealed record LearningProgressView(
    string Status,
    ulong SnapshotCount,
    int StableSnapshotCount,
    DateTimeOffset FirstProcessed,
    double HoursLearning,
    double StableAfterHours,
    double TimeScale,
    DateTimeOffset? StableSince,
    /// <summary><c>snapshots</c> or <c>time</c> once Stable; null while learning.</summary>
    string? StableBy,
    /// <summary>While learning: when the time rule makes the profile Stable at the latest.</summary>
    DateTimeOffset? StableAtLatest);

public sealed record KindCounts(ulong Process, ulong File, ulong Dns, ulong Network);

/// <summary>One time bucket of a profile's life: snapshots merged (by window), containers that contributed, behaviours first seen, signals.</summary>
public sealed record ActivityBucketView(
    DateTimeOffset Start,
    ulong Snapshots,
    ulong SnapshotsTotal,
    ulong Containers,
    ulong ContainersTotal,
    KindCounts NewBehaviours,
    ulong Signals);

/// <summary>Nodes whose commonality falls in [From, To) (the last bucket includes 1.0).</summary>
public sealed record CommonalityBucketView(double From, double To, KindCounts Nodes);

public sealed record TimelineEventView(DateTimeOffset Time, string Kind, string Text);

public sealed record ProfileActivityView(
    LearningProgressView Learning,
    int BucketSeconds,
    IReadOnlyList<ActivityBucketView> Buckets,
    IReadOnlyList<CommonalityBucketView> Commonality,
    double SuggestionThreshold,
    IReadOnlyList<TimelineEventView> Events,
    bool NodesTruncated);
