using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>The agent against the real kernel and real podman containers running a scripted busybox workload.</summary>
[Collection(KernelCollection.Name)]
public sealed class AgentCaptureTests(Podman podman)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Idle = "while true; do sleep 1; done";

    [Fact]
    public async Task Captures_exec_open_dns_and_connect_of_a_container_with_its_image()
    {
        var image = await podman.ImportImageAsync("capture");
        var id = await podman.StartAsync(image, Idle);
        var publisher = new InMemoryPublisher();
        await using var agent = AgentHarness.Start(podman, "capture", publisher);
        await Poll.UntilAsync(() => agent.Host.ProfiledContainerIds.Contains(id), Timeout, "the container to be profiled");

        // Reads the same file 20 times from one shell: the kernel dedups it to one event for that process.
        await podman.ExecAsync(id,
            "cat /etc/app.conf; i=0; while [ $i -lt 20 ]; do read x < /etc/motd; i=$((i+1)); done; " +
            "nslookup example.com 127.0.0.1; nc 127.0.0.1 8080 </dev/null; cd /etc && read x < app.conf; sleep 1; true");

        await Poll.UntilAsync(() =>
        {
            var events = publisher.EventsOf(id).ToList();
            return events.Any(e => e.Kind == EventKind.Open && e.FilePath == "/etc/app.conf")
                && events.Any(e => e.Kind == EventKind.Dns && e.DnsQuestionName == "example.com" && e.DnsQuestionType == 1)
                && events.Any(e => e.Kind == EventKind.Connect && e.DestinationPort == 8080);
        }, Timeout, "open, DNS and connect events of the exec'd workload");

        var captured = publisher.EventsOf(id).ToList();
        var nslookup = Assert.Single(captured, e => e.Kind == EventKind.Exec && e.Args is ["nslookup", "example.com", "127.0.0.1"]);
        // busybox sh runs applets by re-exec'ing /proc/self/exe: the sensor reports the binary, not the magic link.
        Assert.Equal("/bin/busybox", nslookup.ExecutablePath);
        Assert.Contains(captured, e => e.Kind == EventKind.Fork && e.ChildPid == nslookup.Pid);
        var dns = Assert.Single(captured, e => e.Kind == EventKind.Dns && e.DnsQuestionName == "example.com" && e.DnsQuestionType == 1);
        Assert.Equal(nslookup.Pid, dns.Pid);
        Assert.Equal("127.0.0.1", dns.DestinationAddress);
        Assert.Equal(53, dns.DestinationPort);
        Assert.Contains(captured, e => e.Kind == EventKind.Dns && e.DnsQuestionName == "example.com" && e.DnsQuestionType == 28);
        var connect = Assert.Single(captured, e => e.Kind == EventKind.Connect && e.DestinationPort == 8080);
        Assert.Equal("127.0.0.1", connect.DestinationAddress);
        Assert.Equal(NetworkTransport.Tcp, connect.Transport);
        Assert.Equal("nc", connect.Comm);
        Assert.Single(captured, e => e.Kind == EventKind.Open && e.FilePath == "/etc/motd" && e.Comm == "sh");
        // A relative open is made absolute with the process's working directory.
        await Poll.UntilAsync(() => publisher.EventsOf(id).Any(e => e.Kind == EventKind.Open && e.FilePath == "/etc/app.conf" && e.Comm == "sh"),
            Timeout, "the shell's relative open of app.conf in /etc");
        Assert.Contains(captured, e => e.Kind == EventKind.Exit && e.Pid == nslookup.Pid);
        Assert.True(agent.Host.SensorCounters.DedupSuppressed >= 19, "the kernel suppressed the repeated reads");

        // Timestamps are wall clock: within a minute of now.
        var nowUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        Assert.All(captured, e => Assert.InRange(e.TimestampUs, nowUs - 60_000_000, nowUs + 1_000_000));

        // Every batch names the container, its image and tag; sequences increase.
        var batches = publisher.Batches.Where(b => b.Container.Id == id).ToList();
        Assert.All(batches, b => Assert.Equal(new ContainerRef(id, "localhost/wp-agent-test", "capture"), b.Container));
        Assert.Equal(Enumerable.Range(1, batches.Count).Select(i => (long)i), batches.Select(b => b.Sequence));
        Assert.DoesNotContain(captured, e => e.Comm.StartsWith("runc:[", StringComparison.Ordinal));

        // The Prometheus exposition carries the event, drop and lag metrics.
        using var exposition = new MemoryStream();
        await agent.Host.Metrics.Registry.CollectAndExportAsTextAsync(exposition);
        var metrics = System.Text.Encoding.UTF8.GetString(exposition.ToArray());
        Assert.Matches(@"wp_agent_events_total\{kind=""Dns""\} [1-9]", metrics);
        Assert.Matches(@"wp_agent_events_published_total\{scope=""profiling""\} [1-9]", metrics);
        Assert.Matches(@"wp_agent_watched_containers [1-9]", metrics);
        Assert.Contains("wp_agent_kernel_ringbuf_drops 0", metrics);
        Assert.Contains("wp_agent_event_lag_seconds", metrics);
        Assert.Matches(@"wp_agent_records_discarded_total\{reason=""runtime""\} [1-9]", metrics);
    }

    [Fact]
    public async Task A_container_started_before_the_agent_has_its_running_processes_and_open_files()
    {
        var image = await podman.ImportImageAsync("preexisting");
        const string script = "exec 3</etc/app.conf; while true; do sleep 1; done";
        var id = await podman.StartAsync(image, script);
        var publisher = new InMemoryPublisher();

        await using var agent = AgentHarness.Start(podman, "preexisting", publisher);

        await Poll.UntilAsync(() => publisher.EventsOf(id).Any(e => e.Kind == EventKind.Exec && e.Args is ["/bin/sh", "-c", script]),
            Timeout, "the container's init shell as an Exec event");
        var events = publisher.EventsOf(id).ToList();
        var shell = events.First(e => e.Kind == EventKind.Exec && e.Args is ["/bin/sh", "-c", script]);
        Assert.Equal("/bin/busybox", shell.ExecutablePath);
        Assert.Equal("sh", shell.Comm);
        Assert.Contains(events, e => e.Kind == EventKind.Open && e.Pid == shell.Pid && e.FilePath == "/etc/app.conf");
        // The scan's events go out once the image is resolved; the profiling slot is taken on the scheduler's next tick.
        await Poll.UntilAsync(() => publisher.LatestInfo(id) is { Profiled: true, State: ContainerState.Running }, Timeout,
            "the container to be reported as profiled");

        // And it keeps being profiled live: the loop's next sleep is a kernel Exec.
        await Poll.UntilAsync(() => publisher.EventsOf(id).Any(e => e.Kind == EventKind.Exec && e.Args is ["sleep", "1"] && e.Ppid == shell.Pid),
            Timeout, "a live exec of the loop's sleep");
    }

    [Fact]
    public async Task A_short_lived_container_ends_with_an_exit_event()
    {
        var image = await podman.ImportImageAsync("shortlived");
        var publisher = new InMemoryPublisher();
        await using var agent = AgentHarness.Start(podman, "shortlived", publisher);

        var id = await podman.StartAsync(image, "sleep 1; cat /etc/motd; sleep 1", remove: true);

        await Poll.UntilAsync(() => publisher.EventsOf(id).Any(e => e.Kind == EventKind.ContainerExit), Timeout, "the ContainerExit event");
        var events = publisher.EventsOf(id).ToList();
        Assert.Equal(EventKind.ContainerExit, events[^1].Kind);
        Assert.Contains(events, e => e.Kind == EventKind.Open && e.FilePath == "/etc/motd");
        // The scheduler publishes the Exited info after the pump's last batch (ProfilingScheduler.ForgetAsync): wait for it.
        await Poll.UntilAsync(() => publisher.LatestInfo(id) is { State: ContainerState.Exited, Profiled: false, ExitedAtUs: > 0 },
            Timeout, "the Exited container info");
        Assert.DoesNotContain(id, agent.Host.ProfiledContainerIds);
    }
}
