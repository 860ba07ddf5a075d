using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>
/// The agent on a Kubernetes node without a Docker Engine API: a real containerd, pods and containers started through
/// the CRI as kubelet starts them (kubelet's cgroup paths and labels), the live kernel sensor, and the agent resolving
/// containers through the CRI.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class KubernetesNodeTests(Containerd containerd) : IClassFixture<Containerd>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Loop = "while true; do cat /etc/app.conf >/dev/null; sleep 1; done";

    [Fact]
    public async Task Pods_started_through_the_CRI_are_resolved_with_their_pod_captured_and_profiled()
    {
        var image = await containerd.ImportImageAsync("pods");
        var podUid = Guid.NewGuid().ToString();
        const string podName = "shop-7d4b9c5f8-x2x9k";
        var (sandbox, pod) = await containerd.RunPodAsync("payments", podName, podUid,
            new Dictionary<string, string> { ["app"] = "shop", ["pod-template-hash"] = "7d4b9c5f8" }, qos: "burstable");
        // One container runs before the agent starts (found in the cgroup tree), one starts after (found by its cgroup's creation).
        var before = await containerd.StartContainerAsync(sandbox, pod, "web", image, $"exec 3</etc/motd; {Loop}");
        var publisher = new InMemoryPublisher();

        // The endpoint is a bare unix:// socket: the agent finds out that it speaks the CRI.
        var runtime = await ContainerRuntimes.ConnectAsync(containerd.Endpoint, NullLogger.Instance, CancellationToken.None);
        Assert.StartsWith("CRI containerd ", runtime.Description);
        await using var agent = AgentHarness.Start(runtime, ownsRuntime: true, $"^{Containerd.ImageName}@pods$", publisher);

        var after = await containerd.StartContainerAsync(sandbox, pod, "worker", image, $"cat /etc/shadow; {Loop}");

        // Resolved through the CRI: image and tag, the container's name in the pod, the pod and its owning Deployment.
        foreach (var (id, name) in new[] { (before, "web"), (after, "worker") })
        {
            // Resolved at its cgroup's creation, the worker may not have started yet: its record is republished with the start.
            await Poll.UntilAsync(() => publisher.LatestInfo(id) is { Container.HasImage: true, StartedAtUs: > 0 }, Timeout,
                $"the {name} container to be resolved with its start time");
            var info = publisher.LatestInfo(id)!;
            Assert.Equal((Containerd.ImageName, "pods"), (info.Container.ImageName, info.Container.ImageTag));
            Assert.Equal(name, info.Name);
            var k8s = info.Container.Kubernetes;
            Assert.NotNull(k8s);
            Assert.Equal(("payments", podName, podUid, name), (k8s.Namespace, k8s.PodName, k8s.PodUid, k8s.ContainerName));
            Assert.Equal(new Dictionary<string, string> { ["app"] = "shop", ["pod-template-hash"] = "7d4b9c5f8" }, k8s.Labels);
            Assert.Equal(("Deployment", "shop"), (k8s.WorkloadKind, k8s.WorkloadName));
            // kubelet's cgroupfs layout: /kubepods/burstable/pod<uid>/<container id>
            Assert.Equal(CgroupFs.InodeOf($"{new CgroupFs().MountPoint}/kubepods/burstable/pod{podUid}/{id}"), info.CgroupId);
        }

        // The live sensor attributes their events; every batch carries the image and the pod.
        // The web container's descriptor comes from the /proc scan, whose batch may go out a flush after the worker's.
        await Poll.UntilAsync(() => publisher.EventsOf(after).Any(e => e.Kind == EventKind.Open && e.FilePath == "/etc/shadow")
            && publisher.EventsOf(after).Any(e => e.Kind == EventKind.Exec && e.Args is ["sleep", "1"])
            && publisher.EventsOf(before).Any(e => e.Kind == EventKind.Open && e.FilePath == "/etc/motd"),
            Timeout, "the worker's open of /etc/shadow and its loop's sleep, the web container's open /etc/motd");
        var script = publisher.EventsOf(after).First(e => e.Kind == EventKind.Exec && !e.Rescan && e.Args is ["/bin/sh", "-c", _]);
        Assert.Equal("/bin/busybox", script.ExecutablePath);
        Assert.Contains(publisher.EventsOf(after), e => e.Kind == EventKind.Open && e.FilePath == "/etc/app.conf" && e.Pid != script.Pid);
        Assert.All(publisher.Batches.Where(b => b.Container.Id == after), b => Assert.Equal(podName, b.Container.Kubernetes?.PodName));

        // The pod's sandbox (pause) is not a workload: never watched, nothing of it published.
        Assert.DoesNotContain(sandbox, agent.Host.WatchedContainerIds);
        Assert.DoesNotContain(publisher.Batches, b => b.Container.Id == sandbox);
        Assert.DoesNotContain(publisher.Containers, c => c.Container.Id == sandbox);

        // Detection's signals carry the pod.
        var engine = new DetectionEngine(RuleSet.LoadDefault());
        var signals = publisher.Batches.Where(b => b.Container.Id == after).SelectMany(engine.Evaluate).ToList();
        var shadow = signals.FirstOrDefault(s => s.Behaviour.FilePath == "/etc/shadow");
        Assert.NotNull(shadow);
        Assert.Equal(("payments", podName, "Deployment", "shop"),
            (shadow.Container.Kubernetes?.Namespace, shadow.Container.Kubernetes?.PodName, shadow.Container.Kubernetes?.WorkloadKind, shadow.Container.Kubernetes?.WorkloadName));

        // A profile forms from both containers' profiling sessions, keyed by image@version; each snapshot keeps its pod.
        await Poll.UntilAsync(() => new[] { before, after }.All(id => agent.Host.ProfiledContainerIds.Contains(id)
                && publisher.ProfilingEventsOf(id).Any(e => e.Kind == EventKind.Open && e.FilePath == "/etc/app.conf")),
            Timeout, "profiling sessions of both containers with the loop's read of /etc/app.conf");
        var profile = new ProfileAggregate(new ProfileKey(Containerd.ImageName, "pods"));
        var nowUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        foreach (var id in new[] { before, after })
        {
            var batches = publisher.Batches.Where(b => b.Container.Id == id && b.Profiling).ToList();
            var events = batches.SelectMany(b => b.Events).ToList();
            var builder = new SnapshotBuilder(batches[0].Container, "test-host", events.Min(e => e.TimestampUs), nowUs + 1);
            foreach (var batch in batches) builder.AddBatch(batch);
            var snapshot = builder.Build();
            Assert.Equal(podName, snapshot.Container.Kubernetes?.PodName);
            Assert.Equal(MergeOutcome.Applied, profile.Merge(snapshot, nowUs));
        }
        var formed = profile.ToProfile();
        Assert.Equal((2L, 2L), (formed.SnapshotCount, formed.ContainerCount));
        // Both containers run their loop in a shell that runs cat on /etc/app.conf: common to both; only one holds /etc/motd.
        var shell = Assert.Single(formed.Nodes, n => n.Kind == NodeKind.Process && n.ParentId == 0 && n.Key == "/bin/busybox sh -c *");
        var cat = Assert.Single(formed.Nodes, n => n.Kind == NodeKind.Process && n.ParentId == shell.Id && n.Key == "/bin/busybox cat");
        Assert.Equal([1.0, 1.0], new[] { shell.Commonality, cat.Commonality });
        Assert.Equal(1.0, Assert.Single(formed.Nodes, n => n.Kind == NodeKind.File && n.ParentId == cat.Id && n.Key == "/etc/app.conf").Commonality);
        Assert.Equal(0.5, Assert.Single(formed.Nodes, n => n.Kind == NodeKind.File && n.Key == "/etc/motd").Commonality);

        // The pod goes away: both containers end with a ContainerExit event.
        await containerd.RemovePodAsync(sandbox);
        await Poll.UntilAsync(() => new[] { before, after }.All(id => publisher.EventsOf(id).LastOrDefault()?.Kind == EventKind.ContainerExit),
            Timeout, "ContainerExit events of both containers");
        Assert.True(publisher.LatestInfo(after) is { State: ContainerState.Exited, Container.Kubernetes.Namespace: "payments" });
    }
}
