using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Profiles;
using WorkloadProfiles.Explorer.Suppressions;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>Warehouse rows and domain records as API views.</summary>
internal static class Views
{
    public static ProfileSummary Profile(ProfileRow p, ulong runningContainers, ulong signals) => new(
        p.ImageName, p.ImageTag, p.Status, p.SnapshotCount, p.ContainerCount, p.HostCount, p.NodeCount, p.Commonality,
        Time.FromMicros(p.FirstProcessedUs), Time.FromMicros(p.LastUpdatedUs), Time.FromMicros(p.StableSinceUs), p.Revision,
        p.RejectedSnapshots, p.DuplicateSnapshots, p.HostNames ?? [], runningContainers, signals, p.DroppedNodes);

    public static SignalSummary Signal(SignalRow s) => new(
        s.SignalId, s.RuleId, s.RuleName, s.Severity, s.Source, Time.FromMicros(s.TimestampUs), s.ContainerId, s.ImageName,
        s.ImageTag, s.HostName, s.Message, s.BehaviourKind, s.BehaviourProcess, s.BehaviourDetail, s.ProfileStatus, s.HasSuggestion != 0,
        Pod(s.OrchestratorNamespace, s.OrchestratorPodName, s.OrchestratorWorkloadKind, s.OrchestratorWorkloadName));

    public static SnapshotSummary Snapshot(SnapshotRow s) => new(
        s.SnapshotId, s.ContainerId, s.HostName, Time.FromMicros(s.WindowStartUs), Time.FromMicros(s.WindowEndUs), s.EventCount,
        s.NodeCount, s.ClosedByExit != 0, s.Truncated != 0, s.DroppedNodes, s.DroppedEvents);

    public static RunningContainer Container(ContainerRow c) => new(
        c.ContainerId, c.Name, c.ImageTag, c.HostName, c.Profiled != 0, Time.FromMicros(c.StartedAtUs), Time.FromMicros(c.ProfilingSinceUs),
        Pod(c.OrchestratorNamespace, c.OrchestratorPodName, c.OrchestratorWorkloadKind, c.OrchestratorWorkloadName));

    /// <summary>The pod columns as a view; null outside Kubernetes (no namespace).</summary>
    private static PodView? Pod(string ns, string pod, string workloadKind, string workloadName) =>
        ns.Length == 0 ? null : new PodView(ns, pod, workloadKind.Length > 0 ? $"{workloadKind}/{workloadName}" : $"Pod/{pod}");

    public static SuppressionView Suppression(Suppression s) => new(
        s.Id, s.RuleId, s.ImageName, NodeIdentity.Format(s.NodeId), s.Expression, s.Description, s.CreatedBy,
        Time.FromMicros(s.CreatedAtUs), s.Removed, s.RemovedBy, Time.FromMicros(s.RemovedAtUs), s.FromSignalId, s.Signatures);

    /// <summary>The page of a profile, as the enrichment links it (<see cref="SuggestionPolicy.ProfileLinkTemplate"/>).</summary>
    public static string ProfileLink(string image, string tag) => $"/profiles/{Uri.EscapeDataString(image)}/{Uri.EscapeDataString(tag)}";

    public static SignalDetail SignalDetail(SignalRow s, Suppression? suppression, PipelinePolicy policy)
    {
        var profile = s.HasProfile == 0 ? null : new ProfileContextView(
            s.ImageName, s.ImageTag, s.ProfileStatus, s.ProfileSnapshotCount, s.ProfileCommonality, s.BehaviourInProfile != 0,
            s.NodeId is { } node ? NodeIdentity.Format(node) : null, s.NodeCommonality, s.NodeContainerCommonality,
            ProfileLink(s.ImageName, s.ImageTag));
        var signatures = s.SuggestionSignatures ?? [];
        var suggestion = s.HasSuggestion == 0 ? null : new SuggestionView(
            Domain.Signals.Suppression.MakeId(s.RuleId, s.ImageName, s.SuggestionNodeId, signatures), s.RuleId, s.ImageName,
            NodeIdentity.Format(s.SuggestionNodeId), s.SuggestionExpression, s.SuggestionDescription,
            new SuggestionEvidenceView(s.EvidenceCommonality, s.EvidenceContainerCommonality, s.EvidenceSnapshotCount,
                Time.FromMicros(s.EvidenceFirstSeenUs), Time.FromMicros(s.EvidenceLastSeenUs), s.EvidenceSignatureCommonality));
        var ancestry = s.ProcessAncestry ?? [];
        return new SignalDetail(
            Signal(s), s.Tags, profile, suggestion, s.NoSuggestionReason.Length == 0 ? null : s.NoSuggestionReason,
            suppression is null ? null : Suppression(suppression),
            new SuggestionPolicyView(s.ProfileThreshold > 0 ? s.ProfileThreshold : policy.MinNodeCommonality, policy.MinLearningSnapshots),
            suggestion is null || signatures.Length == 0 ? null
                : [.. signatures.Select((signature, i) => new AncestrySignatureView(i < ancestry.Length ? ancestry[i] : "", signature))],
            DriftAllowance.Of(s) is { } allowance
                ? new DriftView(s.ProfileClosestNodeId is { } closest ? NodeIdentity.Format(closest) : null,
                    s.ProfileClosestNodeKey.Length == 0 ? null : s.ProfileClosestNodeKey, allowance.SuppressionId, allowance.Expression, allowance.Signatures)
                : null);
    }
}
