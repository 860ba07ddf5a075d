using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using static WorkloadProfiles.Detection.Tests.Events;

namespace WorkloadProfiles.Detection.Tests;

/// <summary>Each built-in rule fires on what it is about and stays quiet on the look-alike benign event.</summary>
public sealed class DefaultRulesTests
{
    private static readonly RuleSet Defaults = RuleSet.LoadDefault();

    // The acting process (pid 100) is the app, already exec'd, so non-exec events have a known process.
    private static string[] Fired(RawEvent e)
    {
        var engine = new DetectionEngine(Defaults);
        return [.. engine.Evaluate(Batch(Exec(100, "/usr/local/bin/app"), Fork(100, 101), e)).Select(s => s.RuleId)];
    }

    public static TheoryData<string, RawEvent> Firing => new()
    {
        { "wp.shell-in-container", Exec(101, "/bin/sh", "sh", "-c", "/docker-entrypoint.sh nginx") },
        { "wp.shell-in-container", Exec(101, "/usr/bin/bash", "bash") },
        { "wp.shell-in-container", Exec(101, "/bin/ash", "ash") },
        { "wp.interactive-shell", Exec(101, "/bin/bash", "bash", "-i") },
        { "wp.interactive-shell", Exec(101, "/bin/sh", "sh", "-i") },
        // busybox images: the sensor reports the real binary, the applet is in argv.
        { "wp.shell-in-container", Exec(101, "/bin/busybox", "sh", "-c", "echo ready") },
        { "wp.shell-in-container", Exec(101, "/bin/busybox", "busybox", "sh", "-c", "echo ready") },
        { "wp.interactive-shell", Exec(101, "/bin/busybox", "sh", "-i") },
        { "wp.network-tool", Exec(101, "/bin/busybox", "nc", "10.0.0.1", "4444") },
        { "wp.network-tool", Exec(101, "/bin/busybox", "wget", "http://example.com/x") },
        { "wp.package-manager", Exec(101, "/usr/bin/apt-get", "apt-get", "install", "-y", "netcat") },
        { "wp.package-manager", Exec(101, "/sbin/apk", "apk", "add", "curl") },
        { "wp.package-manager", Exec(101, "/usr/bin/dpkg", "dpkg", "-i", "x.deb") },
        { "wp.package-manager", Exec(101, "/usr/local/bin/pip3", "pip3", "install", "requests") },
        { "wp.package-manager", Exec(101, "/usr/local/bin/npm", "npm", "install", "left-pad") },
        { "wp.package-manager", Exec(101, "/usr/bin/python3", "python3", "-m", "pip", "install", "x") },
        { "wp.write-below-etc", Open(101, "/etc/passwd", WriteOnly) },
        { "wp.write-below-etc", Open(101, "/etc/cron.d/job", WriteOnly | Create) },
        { "wp.write-below-etc", Open(101, "/etc/ld.so.preload", ReadWrite) },
        { "wp.read-credentials", Open(101, "/etc/shadow") },
        { "wp.read-credentials", Open(101, "/etc/gshadow") },
        { "wp.read-credentials", Open(101, "/root/.ssh/id_rsa") },
        { "wp.read-credentials", Open(101, "/home/deploy/.ssh/authorized_keys") },
        { "wp.read-credentials", Open(101, "/root/.aws/credentials") },
        { "wp.read-credentials", Open(101, "/var/run/secrets/kubernetes.io/serviceaccount/token") },
        { "wp.read-credentials", Open(101, "/run/secrets/kubernetes.io/serviceaccount/..2024_01_01/token") },
        { "wp.network-tool", Exec(101, "/bin/nc", "nc", "10.0.0.1", "4444") },
        { "wp.network-tool", Exec(101, "/usr/bin/ncat", "ncat") },
        { "wp.network-tool", Exec(101, "/usr/bin/socat", "socat") },
        { "wp.network-tool", Exec(101, "/usr/bin/nmap", "nmap") },
        { "wp.network-tool", Exec(101, "/usr/bin/curl", "curl", "http://x") },
        { "wp.network-tool", Exec(101, "/usr/bin/wget", "wget", "http://x") },
        { "wp.network-tool", Exec(101, "/usr/sbin/tcpdump", "tcpdump") },
        { "wp.dns-unusual-tld", Dns(101, "pool.miner.xyz") },
        { "wp.dns-unusual-tld", Dns(101, "C2.Example.TOP.") },
        { "wp.dns-unusual-tld", Dns(101, "abcdefghijklmnop.onion") },
        { "wp.dns-unusual-tld", Dns(101, "free.tk") },
        { "wp.mining-port", Connect(101, "203.0.113.7", 3333) },
        { "wp.mining-port", Connect(101, "203.0.113.7", 14444) },
        { "wp.mining-port", Connect(101, "203.0.113.7", 4444) },
        { "wp.exec-from-tmp", Exec(101, "/tmp/kdevtmpfsi", "kdevtmpfsi") },
        { "wp.exec-from-tmp", Exec(101, "/dev/shm/.x/run", "run") },
        { "wp.exec-from-tmp", Exec(101, "/var/tmp/payload", "payload") },
    };

    [Theory]
    [MemberData(nameof(Firing))]
    public void Rule_fires_on_representative_event(string ruleId, RawEvent e) => Assert.Contains(ruleId, Fired(e));

    public static TheoryData<string, RawEvent> Benign => new()
    {
        { "wp.shell-in-container", Exec(101, "/usr/sbin/nginx", "nginx", "-g", "daemon off;") },
        { "wp.shell-in-container", Exec(101, "/usr/bin/bashful", "bashful") },
        { "wp.shell-in-container", Exec(101, "/bin/busybox", "cat", "/etc/motd") },
        { "wp.network-tool", Exec(101, "/bin/busybox", "busybox", "ls") },
        { "wp.interactive-shell", Exec(101, "/bin/sh", "sh", "-c", "echo -i") },
        { "wp.interactive-shell", Exec(101, "/usr/bin/python3", "python3", "-i") },
        { "wp.package-manager", Exec(101, "/usr/local/bin/npm", "npm", "start") },
        { "wp.package-manager", Exec(101, "/usr/local/bin/pip", "pip", "list") },
        { "wp.package-manager", Exec(101, "/usr/bin/python3", "python3", "app.py", "install") },
        { "wp.package-manager", Exec(101, "/usr/bin/aptly", "aptly") },
        { "wp.write-below-etc", Open(101, "/etc/passwd") },
        { "wp.write-below-etc", Open(101, "/var/lib/etc/x", WriteOnly) },
        { "wp.write-below-etc", Open(101, "/etcetera/x", WriteOnly) },
        { "wp.read-credentials", Open(101, "/etc/passwd") },
        { "wp.read-credentials", Open(101, "/etc/shadowsocks.json") },
        { "wp.read-credentials", Open(101, "/home/deploy/.bashrc") },
        { "wp.read-credentials", Open(101, "/var/run/secrets/other/token") },
        { "wp.network-tool", Exec(101, "/usr/bin/python3", "python3", "-m", "http.server") },
        { "wp.network-tool", Exec(101, "/usr/bin/curl-config", "curl-config") },
        { "wp.dns-unusual-tld", Dns(101, "example.com") },
        { "wp.dns-unusual-tld", Dns(101, "xyz.example.com") },
        { "wp.dns-unusual-tld", Dns(101, "kubernetes.default.svc.cluster.local") },
        { "wp.mining-port", Connect(101, "203.0.113.7", 443) },
        { "wp.mining-port", Connect(101, "10.0.0.5", 5432) },
        { "wp.exec-from-tmp", Exec(101, "/usr/local/bin/tmp-cleaner", "tmp-cleaner") },
        { "wp.exec-from-tmp", Exec(101, "/opt/tmp/x", "x") },
    };

    [Theory]
    [MemberData(nameof(Benign))]
    public void Rule_stays_quiet_on_benign_event(string ruleId, RawEvent e) => Assert.DoesNotContain(ruleId, Fired(e));

    [Fact]
    public void Benign_workload_raises_nothing()
    {
        var engine = new DetectionEngine(Defaults);
        var signals = engine.Evaluate(Batch(
            Exec(1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"),
            Fork(1, 2),
            Open(2, "/etc/nginx/nginx.conf"),
            Open(2, "/var/log/nginx/access.log", WriteOnly | Create),
            Dns(2, "api.example.com"),
            Connect(2, "10.0.0.5", 8080),
            Exit(2)));
        Assert.Empty(signals);
    }
}
