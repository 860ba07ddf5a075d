using System.Text.RegularExpressions;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Containers;

/// <summary>
/// What kubelet tells a container runtime about a pod and how to read it: the <c>io.kubernetes.*</c> labels it puts on
/// every sandbox and container (through the CRI, or as Docker labels through cri-dockerd), and the labels its controllers
/// put on the pods they own, from which the owning workload follows (the CRI carries no owner references).
/// </summary>
internal static partial class PodMetadata
{
    public const string PodName = "io.kubernetes.pod.name";
    public const string PodNamespace = "io.kubernetes.pod.namespace";
    public const string PodUid = "io.kubernetes.pod.uid";
    public const string ContainerName = "io.kubernetes.container.name";

    /// <summary>The metadata of a container from its own labels (cri-dockerd's Docker labels, or a CRI container whose
    /// sandbox is gone); null when kubelet did not create it. The pod's own labels are not on the container.</summary>
    public static KubernetesMeta? FromContainerLabels(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is null || !labels.TryGetValue(PodNamespace, out var ns) || !labels.TryGetValue(PodName, out var pod)) return null;
        return Create(ns, pod, labels.GetValueOrDefault(PodUid) ?? "", labels.GetValueOrDefault(ContainerName) ?? "",
            new Dictionary<string, string>());
    }

    /// <summary>The metadata of a container in a pod sandbox: the pod's identity and its labels (without kubelet's
    /// <c>io.kubernetes.pod.*</c> copies of the identity), and the owning workload where those labels say it.</summary>
    public static KubernetesMeta Create(string ns, string podName, string podUid, string containerName, IReadOnlyDictionary<string, string> sandboxLabels)
    {
        var labels = sandboxLabels
            .Where(l => !l.Key.StartsWith("io.kubernetes.pod.", StringComparison.Ordinal))
            .ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
        var (kind, name) = OwnerOf(podName, labels);
        return new KubernetesMeta
        {
            Namespace = ns,
            PodName = podName,
            PodUid = podUid,
            ContainerName = containerName,
            Labels = labels,
            WorkloadKind = kind,
            WorkloadName = name,
        };
    }

    /// <summary>
    /// The workload that owns a pod, from the labels and names its controller gives it:
    /// a Job's pods carry <c>batch.kubernetes.io/job-name</c> (or the older <c>job-name</c>); a StatefulSet's pods
    /// <c>statefulset.kubernetes.io/pod-name</c> and are named <c>&lt;set&gt;-&lt;ordinal&gt;</c>; a DaemonSet's pods
    /// <c>controller-revision-hash</c> and <c>pod-template-generation</c> and are named <c>&lt;set&gt;-&lt;5 chars&gt;</c>;
    /// a Deployment's pods <c>pod-template-hash=&lt;h&gt;</c> and are named <c>&lt;deployment&gt;-&lt;h&gt;-&lt;5 chars&gt;</c>
    /// (a ReplicaSet created by hand looks the same and is reported as its Deployment's name would be). (null, null) when
    /// the labels say nothing or the name does not fit them: a guess would mislabel a signal.
    /// </summary>
    public static (string? Kind, string? Name) OwnerOf(string podName, IReadOnlyDictionary<string, string> labels)
    {
        if (labels.TryGetValue("batch.kubernetes.io/job-name", out var job) || labels.TryGetValue("job-name", out job))
            return job.Length > 0 ? ("Job", job) : (null, null);

        if (labels.TryGetValue("statefulset.kubernetes.io/pod-name", out var member) && member == podName
            && OrdinalSuffix().Match(podName) is { Success: true } ordinal)
            return ("StatefulSet", podName[..ordinal.Index]);

        if (labels.ContainsKey("controller-revision-hash") && labels.ContainsKey("pod-template-generation")
            && GeneratedSuffix().Match(podName) is { Success: true } daemonSuffix)
            return ("DaemonSet", podName[..daemonSuffix.Index]);

        if (labels.TryGetValue("pod-template-hash", out var hash) && hash.Length > 0)
        {
            var marker = $"-{hash}-";
            var at = podName.LastIndexOf(marker, StringComparison.Ordinal);
            if (at > 0 && GeneratedSuffix().IsMatch(podName[(at + marker.Length - 1)..])) return ("Deployment", podName[..at]);
        }
        return (null, null);
    }

    // A StatefulSet member: <set>-<ordinal>.
    [GeneratedRegex("-[0-9]+$")]
    private static partial Regex OrdinalSuffix();

    // The random suffix the API server generates for a pod name (generateName): 5 characters of [bcdfghjklmnpqrstvwxz2456789].
    [GeneratedRegex("-[bcdfghjklmnpqrstvwxz2456789]{5}$")]
    private static partial Regex GeneratedSuffix();
}
