namespace WorkloadProfiles.Domain.Events;

/// <summary>
/// orchestrator.*: the Kubernetes pod a container runs in, as the container runtime (CRI) reported it when the agent
/// resolved the container. It describes the container, like its image, so it travels on <see cref="ContainerRef"/>
/// into batches, snapshots, signals and the inventory; profiles stay keyed by image@version.
/// </summary>
public sealed record KubernetesMeta
{
    /// <summary>orchestrator.namespace</summary>
    public required string Namespace { get; init; }

    /// <summary>orchestrator.resource.name (the pod)</summary>
    public required string PodName { get; init; }

    /// <summary>orchestrator.resource.id: the pod's uid.</summary>
    public string PodUid { get; init; } = "";

    /// <summary>The container's name in the pod spec (a pod runs several).</summary>
    public string ContainerName { get; init; } = "";

    /// <summary>orchestrator.resource.label: the pod's labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = EmptyLabels;

    /// <summary>The owning workload's kind (Deployment, StatefulSet, DaemonSet, Job…), where the pod's labels say it.</summary>
    public string? WorkloadKind { get; init; }

    /// <summary>The owning workload's name, where the pod's labels say it.</summary>
    public string? WorkloadName { get; init; }

    /// <summary>The workload as one word, e.g. <c>Deployment/shop</c>; the pod itself when no workload owns it.</summary>
    public string Workload => WorkloadKind is not null && WorkloadName is not null ? $"{WorkloadKind}/{WorkloadName}" : $"Pod/{PodName}";

    private static readonly IReadOnlyDictionary<string, string> EmptyLabels = new Dictionary<string, string>();

    // Labels compare by content: the same pod read twice is the same metadata.
    public bool Equals(KubernetesMeta? other) =>
        other is not null
        && Namespace == other.Namespace && PodName == other.PodName && PodUid == other.PodUid && ContainerName == other.ContainerName
        && WorkloadKind == other.WorkloadKind && WorkloadName == other.WorkloadName
        && Labels.Count == other.Labels.Count
        && Labels.All(l => other.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    public override int GetHashCode() => HashCode.Combine(Namespace, PodName, PodUid, ContainerName, WorkloadKind, WorkloadName, Labels.Count);
}
