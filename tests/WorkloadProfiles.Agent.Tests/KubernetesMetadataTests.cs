using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Agent.Containers;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>Pod metadata from kubelet's labels, container cgroups of a kubelet node's tree, and runtime endpoint errors.</summary>
public sealed class KubernetesMetadataTests
{
    private static readonly string Id = string.Concat(Enumerable.Repeat("0123456789abcdef", 4));
    private static readonly string OtherId = string.Concat(Enumerable.Repeat("fedcba9876543210", 4));

    [Theory]
    [InlineData("shop-7d4b9c5f8-x2x9k", "pod-template-hash=7d4b9c5f8", "Deployment", "shop")]
    [InlineData("api-server-v2-5c9d8b7f6d-bq7rz", "pod-template-hash=5c9d8b7f6d,app=api", "Deployment", "api-server-v2")]
    [InlineData("db-2", "statefulset.kubernetes.io/pod-name=db-2,controller-revision-hash=db-6b8f", "StatefulSet", "db")]
    [InlineData("web-cache-10", "statefulset.kubernetes.io/pod-name=web-cache-10", "StatefulSet", "web-cache")]
    [InlineData("node-agent-z9x8w", "controller-revision-hash=6d7c8b9f4,pod-template-generation=3", "DaemonSet", "node-agent")]
    [InlineData("backup-28950120-mq4kd", "batch.kubernetes.io/job-name=backup-28950120,job-name=backup-28950120", "Job", "backup-28950120")]
    [InlineData("migrate-abcde", "job-name=migrate", "Job", "migrate")]
    public void The_owning_workload_follows_from_the_labels_its_controller_sets(string pod, string labels, string kind, string name) =>
        Assert.Equal((kind, name), PodMetadata.OwnerOf(pod, Labels(labels)));

    [Theory]
    [InlineData("debug", "")] // a bare pod
    [InlineData("debug", "app=debug")]
    [InlineData("shop-manual", "pod-template-hash=7d4b9c5f8")] // the name does not carry the hash: no guess
    [InlineData("db-primary", "statefulset.kubernetes.io/pod-name=db-primary")] // no ordinal
    [InlineData("db-2", "statefulset.kubernetes.io/pod-name=db-3")] // another member's label
    [InlineData("node-agent-ZZZZZ", "controller-revision-hash=1,pod-template-generation=1")] // not a generated suffix
    public void Labels_that_do_not_fit_the_pod_name_give_no_workload(string pod, string labels) =>
        Assert.Equal((null, null), PodMetadata.OwnerOf(pod, Labels(labels)));

    [Fact]
    public void Sandbox_labels_become_the_pods_labels_without_kubelets_identity_copies()
    {
        var meta = PodMetadata.Create("payments", "shop-7d4b9c5f8-x2x9k", "uid-1", "web", Labels(
            "app=shop,pod-template-hash=7d4b9c5f8,io.kubernetes.pod.name=shop-7d4b9c5f8-x2x9k,io.kubernetes.pod.namespace=payments,io.kubernetes.pod.uid=uid-1"));

        Assert.Equal(("payments", "shop-7d4b9c5f8-x2x9k", "uid-1", "web"), (meta.Namespace, meta.PodName, meta.PodUid, meta.ContainerName));
        Assert.Equal(["app", "pod-template-hash"], meta.Labels.Keys.Order());
        Assert.Equal("Deployment/shop", meta.Workload);
    }

    [Fact]
    public void Container_labels_from_kubelet_give_the_pod_and_no_labels_elsewhere_give_none()
    {
        var meta = PodMetadata.FromContainerLabels(Labels(
            "io.kubernetes.pod.name=debug,io.kubernetes.pod.namespace=ops,io.kubernetes.pod.uid=u,io.kubernetes.container.name=sh"));
        Assert.NotNull(meta);
        Assert.Equal(("ops", "debug", "u", "sh", "Pod/debug"), (meta.Namespace, meta.PodName, meta.PodUid, meta.ContainerName, meta.Workload));
        Assert.Empty(meta.Labels);

        Assert.Null(PodMetadata.FromContainerLabels(Labels("maintainer=someone")));
        Assert.Null(PodMetadata.FromContainerLabels(null));
    }

    [Fact]
    public void A_kubelet_nodes_cgroup_tree_yields_its_containers_not_pods_qos_classes_or_conmon()
    {
        var root = Directory.CreateTempSubdirectory("wp-cgroup-tree-").FullName;
        try
        {
            var systemdPod = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice";
            var cgroupfsPod = "kubepods/besteffort/pod0a1b2c3d-8a4b-4c1d-9e2f-7f1f2c3e4d5f";
            foreach (var dir in new[]
            {
                $"{systemdPod}/crio-conmon-{Id}.scope",
                $"{systemdPod}/crio-{Id}.scope/container",
                $"{cgroupfsPod}/{OtherId}",
                "system.slice/containerd.service",
            })
                Directory.CreateDirectory(Path.Join(root, dir));

            var found = new CgroupFs(root).ListContainers().OrderBy(c => c.ContainerId).ToList();

            Assert.Equal(
                [(Id, $"/{systemdPod}/crio-{Id}.scope"), (OtherId, $"/{cgroupfsPod}/{OtherId}")],
                found.Select(c => (c.ContainerId, c.RelativePath)));
            Assert.Equal(CgroupFs.InodeOf(Path.Join(root, systemdPod, $"crio-{Id}.scope")), found[0].CgroupId);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Endpoints_that_do_not_answer_are_named_with_their_reasons()
    {
        var missing = Path.Join(Path.GetTempPath(), $"wp-missing-{Guid.NewGuid():N}.sock");
        var error = await Assert.ThrowsAsync<ContainerRuntimeUnavailableException>(() => ContainerRuntimes.ConnectAsync(
            $"cri+unix://{missing},docker+unix://{missing}", NullLogger.Instance, CancellationToken.None));

        Assert.Contains($"cri+unix://{missing}: CRI: no such socket", error.Message);
        Assert.Contains($"docker+unix://{missing}: Docker Engine API: no such socket", error.Message);
        Assert.Contains("WP_Agent__ContainerRuntimeEndpoint", error.Message);

        var unsupported = await Assert.ThrowsAsync<ContainerRuntimeUnavailableException>(() =>
            ContainerRuntimes.ConnectAsync("ftp://runtime", NullLogger.Instance, CancellationToken.None));
        Assert.Contains("ftp://runtime: unsupported endpoint", unsupported.Message);
    }

    [Fact]
    public async Task A_socket_that_speaks_neither_api_is_refused_with_both_answers()
    {
        // A listener that accepts and closes at once: neither HTTP/2 (CRI) nor HTTP/1.1 (Docker) get an answer.
        var path = Path.Join(Path.GetTempPath(), $"wp-mute-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen();
        using var stop = new CancellationTokenSource();
        var acceptor = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { (await listener.AcceptAsync(stop.Token)).Dispose(); }
                catch (OperationCanceledException) { return; }
            }
        });
        try
        {
            var error = await Assert.ThrowsAsync<ContainerRuntimeUnavailableException>(() =>
                ContainerRuntimes.ConnectAsync($"unix://{path}", NullLogger.Instance, CancellationToken.None));

            Assert.Contains($"unix://{path}: CRI: ", error.Message);
            Assert.Contains("; Docker Engine API: ", error.Message);
        }
        finally
        {
            await stop.CancelAsync();
            await acceptor;
            File.Delete(path);
        }
    }

    private static Dictionary<string, string> Labels(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
}
