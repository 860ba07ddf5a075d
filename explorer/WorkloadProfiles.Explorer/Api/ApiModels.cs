namespace WorkloadProfiles.Explorer.Api;

// The JSON the API returns (camelCase). Node ids are 16-digit hex strings, as in suppression expressions: a JavaScript
// number cannot hold a 64-bit id exactly. Times are ISO 8601 UTC.

public sealed record ImageSummary(
    string ImageName,
    ulong Versions,
    ulong StableVersions,
    string LatestTag,
    string LatestStatus,
    double LatestCommonality,
    ulong SnapshotCount,
    DateTimeOffset LastUpdated,
    ulong RunningContainers);

public sealed record ProfileSummary(
    string ImageName,
    string ImageTag,
    string Status,
    ulong SnapshotCount,
    ulong ContainerCount,
    ulong HostCount,
    ulong NodeCount,
    double Commonality,
    DateTimeOffset FirstProcessed,
    DateTimeOffset LastUpdated,
    DateTimeOffset? StableSince,
    ulong Revision,
    ulong RejectedSnapshots,
    ulong DuplicateSnapshots,
    IReadOnlyList<string> HostNames,
    ulong RunningContainers,
    ulong Signals,
    /// <summary>New behaviours the profile did not take at its byte bound (0: it is the whole story).</summary>
    ulong DroppedNodes = 0);

/// <summary>A file, DNS or network behaviour of one process.</summary>
public sealed record BehaviourLeaf(
    string Id,
    string Kind,
    string Key,
    string Access,
    double Commonality,
    double ContainerCommonality,
    ulong SnapshotCount,
    ulong ContainerCount,
    ulong EventCount,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen);

/// <summary>A process of a profile's tree with what it did; written without recursion (<see cref="ProcessNodeJsonConverter"/>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(ProcessNodeJsonConverter))]
public sealed record ProcessNode(
    string Id,
    string Key,
    string Executable,
    double Commonality,
    double ContainerCommonality,
    ulong SnapshotCount,
    ulong ContainerCount,
    ulong EventCount,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    IReadOnlyList<ProcessNode> Children,
    IReadOnlyList<BehaviourLeaf> Files,
    IReadOnlyList<BehaviourLeaf> Dns,
    IReadOnlyList<BehaviourLeaf> Network,
    IReadOnlyList<SignatureView>? Signatures = null,
    bool SignaturesOverflowed = false);

/// <summary>One argument signature of a process node: the normalized arguments, and in how many snapshots they ran.</summary>
public sealed record SignatureView(string Signature, ulong SnapshotCount, double Commonality);

/// <summary>A process of a signal's ancestry (root first) with the argument signature its suggestion covers.</summary>
public sealed record AncestrySignatureView(string Process, string Signature);

public sealed record RunningContainer(
    string ContainerId,
    string Name,
    string ImageTag,
    string HostName,
    bool Profiled,
    DateTimeOffset StartedAt,
    DateTimeOffset? ProfilingSince,
    PodView? Pod = null);

/// <summary>The Kubernetes pod of a container: namespace, pod name and owning workload (<c>Deployment/shop</c>, or
/// <c>Pod/&lt;name&gt;</c> when no workload owns it). Absent outside Kubernetes.</summary>
public sealed record PodView(string Namespace, string Name, string Workload);

public sealed record SnapshotSummary(
    string SnapshotId,
    string ContainerId,
    string HostName,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    ulong EventCount,
    ulong NodeCount,
    bool ClosedByExit,
    bool Truncated,
    ulong DroppedNodes,
    ulong DroppedEvents);

public sealed record ProfileDetail(
    ProfileSummary Profile,
    IReadOnlyList<string> Versions,
    IReadOnlyList<ProcessNode> Processes,
    int NodesRead,
    bool NodesTruncated,
    int UnattachedNodes,
    IReadOnlyList<SignalSummary> Signals,
    IReadOnlyList<RunningContainer> Containers,
    IReadOnlyList<SnapshotSummary> Snapshots);

public sealed record SignalSummary(
    string SignalId,
    string RuleId,
    string RuleName,
    string Severity,
    string Source,
    DateTimeOffset Timestamp,
    string ContainerId,
    string ImageName,
    string ImageTag,
    string HostName,
    string Message,
    string BehaviourKind,
    string BehaviourProcess,
    string BehaviourDetail,
    string ProfileStatus,
    bool HasSuggestion,
    PodView? Pod = null);

public sealed record ProfileContextView(
    string ImageName,
    string ImageTag,
    string Status,
    ulong SnapshotCount,
    double Commonality,
    bool BehaviourInProfile,
    string? NodeId,
    double? NodeCommonality,
    double? NodeContainerCommonality,
    string Link);

public sealed record SuggestionEvidenceView(
    double Commonality,
    double ContainerCommonality,
    ulong SnapshotCount,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    double SignatureCommonality = 0);

public sealed record SuggestionView(
    string SuppressionId,
    string RuleId,
    string ImageName,
    string NodeId,
    string Expression,
    string Description,
    SuggestionEvidenceView Evidence);

public sealed record SuppressionView(
    string Id,
    string RuleId,
    string ImageName,
    string NodeId,
    string Expression,
    string Description,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    bool Removed,
    string? RemovedBy,
    DateTimeOffset? RemovedAt,
    string? FromSignalId,
    IReadOnlyList<string>? Signatures = null);

public sealed record SignalDetail(
    SignalSummary Signal,
    IReadOnlyList<string> Tags,
    ProfileContextView? Profile,
    SuggestionView? Suggestion,
    string? NoSuggestionReason,
    SuppressionView? Suppression,
    /// <summary>The thresholds the suggestion was judged against: the enriched record's, or for records written before it
    /// carried one, this deployment's.</summary>
    SuggestionPolicyView Policy,
    /// <summary>The argument signatures a suggestion covers, one per process of the ancestry (null without a suggestion).</summary>
    IReadOnlyList<AncestrySignatureView>? Signatures = null,
    /// <summary>For a drift signal: where the unknown part begins and what "allow" would suppress (null otherwise).</summary>
    DriftView? Drift = null);

/// <summary>A drift signal's context: the deepest known process of its ancestry, and the suppression "allow" creates.</summary>
public sealed record DriftView(
    string? ClosestKnownNodeId,
    string? ClosestKnownKey,
    string AllowSuppressionId,
    string AllowExpression,
    IReadOnlyList<string> Signatures);

public sealed record BehaviourChange(string Id, string Kind, string Key, string Path, double Commonality);

/// <summary>
/// Two versions of an image, relative to the newer one: <see cref="Added"/> are behaviours only the newer version has,
/// <see cref="Removed"/> those only the older one had, whichever of the two was asked for first.
/// </summary>
public sealed record ProfileComparison(
    string ImageName,
    string ImageTag,
    string OtherTag,
    string NewerTag,
    string OlderTag,
    /// <summary><c>version</c> (the tags compare as version numbers) or <c>firstSnapshot</c> (the later profile is newer).</summary>
    string NewerBy,
    IReadOnlyList<BehaviourChange> Added,
    IReadOnlyList<BehaviourChange> Removed,
    int Unchanged,
    KindCounts AddedByKind,
    KindCounts RemovedByKind);

public sealed record CreateSuppressionRequest(string? SignalId);
