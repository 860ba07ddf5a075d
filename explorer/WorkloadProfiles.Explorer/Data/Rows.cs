using System.Text.Json.Serialization;
using WorkloadProfiles.ClickHouse;

namespace WorkloadProfiles.Explorer.Data;

// Rows as ClickHouse returns them (FORMAT JSONEachRow, snake_case columns bind to these names). UInt8 flags arrive as numbers.
// They come from the *_latest views, which show node ids as 16 hex digits (HexNodeIdConverter reads them).

internal sealed record ProfileRow(
    string ImageName,
    string ImageTag,
    ulong Revision,
    string Status,
    ulong SnapshotCount,
    ulong ContainerCount,
    ulong HostCount,
    ulong NodeCount,
    ulong RejectedSnapshots,
    ulong DuplicateSnapshots,
    double Commonality,
    long FirstProcessedUs,
    long LastUpdatedUs,
    long? StableSinceUs,
    string[]? SnapshotIds,
    string[]? HostNames,
    ulong DroppedNodes = 0);

internal sealed record ImageRow(
    string ImageName,
    ulong Versions,
    ulong StableVersions,
    string LatestTag,
    string LatestStatus,
    double LatestCommonality,
    ulong TotalSnapshots,
    long LastUpdateUs);

internal sealed record CountRow(string GroupKey, ulong Total);

internal sealed record NodeRow(
    [property: JsonConverter(typeof(HexNodeIdConverter))] ulong NodeId,
    [property: JsonConverter(typeof(HexNodeIdConverter))] ulong ParentId,
    string Kind,
    string Key,
    string[] Ancestry,
    ulong SnapshotCount,
    ulong ContainerCount,
    ulong EventCount,
    double Commonality,
    double ContainerCommonality,
    string Access,
    long FirstSeenUs,
    long LastSeenUs,
    string[]? Signatures = null,
    ulong[]? SignatureSnapshotCounts = null,
    double[]? SignatureCommonalities = null,
    byte SignaturesOverflowed = 0);

internal sealed record SnapshotRow(
    string SnapshotId,
    string ContainerId,
    string HostName,
    long WindowStartUs,
    long WindowEndUs,
    ulong EventCount,
    ulong NodeCount,
    byte ClosedByExit,
    byte Truncated,
    ulong DroppedNodes,
    ulong DroppedEvents);

internal sealed record ContainerRow(
    string ContainerId,
    string Name,
    string ImageName,
    string ImageTag,
    string HostName,
    string State,
    byte Profiled,
    long StartedAtUs,
    long? ProfilingSinceUs,
    string OrchestratorNamespace = "",
    string OrchestratorPodName = "",
    string OrchestratorWorkloadKind = "",
    string OrchestratorWorkloadName = "");

internal sealed record SignalRow(
    string SignalId,
    string RuleId,
    string RuleName,
    string Severity,
    string Source,
    long TimestampUs,
    string ContainerId,
    string ImageName,
    string ImageTag,
    string HostName,
    string Message,
    string[] Tags,
    string BehaviourKind,
    string BehaviourProcess,
    string BehaviourDetail,
    byte HasProfile,
    string ProfileStatus,
    ulong ProfileSnapshotCount,
    double ProfileCommonality,
    byte BehaviourInProfile,
    [property: JsonConverter(typeof(HexNodeIdConverter))] ulong? NodeId,
    double? NodeCommonality,
    double? NodeContainerCommonality,
    byte HasSuggestion,
    [property: JsonConverter(typeof(HexNodeIdConverter))] ulong SuggestionNodeId,
    string SuggestionExpression,
    string SuggestionDescription,
    double EvidenceCommonality,
    double EvidenceContainerCommonality,
    ulong EvidenceSnapshotCount,
    long EvidenceFirstSeenUs,
    long EvidenceLastSeenUs,
    string NoSuggestionReason,
    double ProfileThreshold = 0,
    string[]? SuggestionSignatures = null,
    double EvidenceSignatureCommonality = 0,
    string[]? ProcessAncestry = null,
    string OrchestratorNamespace = "",
    string OrchestratorPodName = "",
    string OrchestratorWorkloadKind = "",
    string OrchestratorWorkloadName = "",
    [property: JsonConverter(typeof(HexNodeIdConverter))] ulong? ProfileClosestNodeId = null,
    string ProfileClosestNodeKey = "",
    string[]? BehaviourSignatures = null);

internal sealed record SuppressionRow(
    string SuppressionId,
    string RuleId,
    string ImageName,
    [property: JsonConverter(typeof(HexNodeIdConverter))] ulong NodeId,
    string Expression,
    string Description,
    string CreatedBy,
    long CreatedAtUs,
    byte Removed,
    string RemovedBy,
    long? RemovedAtUs,
    string FromSignalId,
    string[]? Signatures = null);
