using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Benchmarks.Domain;

/// <summary>
/// Deterministic synthetic activity of one web container: an entrypoint shell, an nginx master with four workers, a
/// python sidecar, and periodic <c>sh -c</c> hooks that fork, exec and exit. The mix is file-open heavy as real kernels are
/// (about 70 % opens, 12 % DNS, 10 % connects, 8 % lineage), with per-request temp files and /proc reads so normalization
/// and the caches do real work.
/// </summary>
internal static class SyntheticWorkload
{
    public static readonly ContainerRef Container = new("3f4e5d6c7b8a99001122334455667788aabbccddeeff00112233445566778899", "nginx", "1.27");

    public static RawEvent[] Events(int count, int seed = 42)
    {
        var random = new Random(seed);
        var events = new List<RawEvent>(count + 16);
        var t = 1_700_000_000_000_000L;
        events.Add(Exec(t, 1, "/bin/sh", "sh", "/docker-entrypoint.sh", "nginx"));
        events.Add(Exec(++t, 1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"));
        int[] workers = [11, 12, 13, 14];
        foreach (var w in workers) events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = ++t, Pid = 1, ChildPid = w, Comm = "nginx" });
        events.Add(Exec(++t, 20, "/usr/bin/python3", "python3", "/app/sidecar.py"));

        string[] configs = ["/etc/nginx/nginx.conf", "/etc/nginx/conf.d/default.conf", "/etc/nginx/mime.types", "/etc/hosts", "/etc/resolv.conf", "/etc/passwd"];
        var content = Enumerable.Range(0, 200).Select(i => $"/usr/share/nginx/html/assets/page-{i}.html").ToArray();
        string[] names = ["api.internal", "db.internal", "cache.internal", "metrics.example.com", "auth.example.com", "cdn.example.net"];
        string[] addresses = ["10.0.0.5", "10.0.0.6", "10.0.1.9", "93.184.216.34", "127.0.0.1", "172.17.0.1", "2606:2800:220:1:248:1893:25c8:1946"];
        var nextPid = 100;
        while (events.Count < count)
        {
            t += random.Next(1, 50);
            var roll = random.Next(100);
            var pid = roll < 90 ? workers[random.Next(workers.Length)] : 20;
            if (roll < 45) events.Add(Open(t, pid, content[random.Next(content.Length)], 0));
            else if (roll < 58) events.Add(Open(t, pid, configs[random.Next(configs.Length)], 0));
            else if (roll < 65) events.Add(Open(t, pid, $"/var/cache/nginx/client_temp/{random.Next(1_000_000):D10}", 0x41));
            else if (roll < 70) events.Add(Open(t, pid, $"/proc/{pid}/status", 0));
            else if (roll < 82) events.Add(Dns(t, pid, names[random.Next(names.Length)]));
            else if (roll < 92) events.Add(Connect(t, pid, addresses[random.Next(addresses.Length)], random.Next(2) == 0 ? 443 : 5432));
            else
            {
                // A hook: worker forks, the child runs sh -c, which reads a file and exits.
                var child = nextPid++;
                events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = t, Pid = workers[0], ChildPid = child, Comm = "nginx" });
                events.Add(Exec(++t, child, "/bin/sh", "sh", "-c", $"logger request {random.Next()}"));
                events.Add(Open(++t, child, "/etc/passwd", 0));
                events.Add(new RawEvent { Kind = EventKind.Exit, TimestampUs = ++t, Pid = child, Comm = "sh" });
            }
        }
        return [.. events.Take(count)];
    }

    /// <summary>Snapshots whose union is <paramref name="totalNodes"/> nodes: each container sees a common core plus a random share of the rest.</summary>
    public static ActivitySnapshot[] Snapshots(int count, int totalNodes, int nodesPerSnapshot, int seed = 7)
    {
        var random = new Random(seed);
        var process = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/usr/sbin/nginx");
        var universe = new SnapshotNode[totalNodes];
        // The master's argument signature, as snapshots record it, so its behaviours can be suggested.
        universe[0] = new SnapshotNode
        {
            Id = process, ParentId = NodeIdentity.Root, Kind = NodeKind.Process, Key = "/usr/sbin/nginx", EventCount = 1, FirstSeenUs = 1, LastSeenUs = 2,
            Signatures = [ArgumentSignature.Of("/usr/sbin/nginx", ["nginx", "-g", "daemon off;"])],
        };
        for (var i = 1; i < totalNodes; i++)
        {
            var key = $"/srv/data/{i % 37}/file-{i}.dat";
            universe[i] = new SnapshotNode
            {
                Id = NodeIdentity.Compute(process, NodeKind.File, key), ParentId = process, Kind = NodeKind.File, Key = key,
                EventCount = 3, FirstSeenUs = 10 + i, LastSeenUs = 20 + i, Access = FileAccessMode.Read,
            };
        }
        var core = nodesPerSnapshot / 2;
        var snapshots = new ActivitySnapshot[count];
        for (var s = 0; s < count; s++)
        {
            var nodes = new HashSet<int>(Enumerable.Range(0, core));
            while (nodes.Count < nodesPerSnapshot) nodes.Add(random.Next(totalNodes));
            var containerId = $"c{s % 40:D3}";
            snapshots[s] = new ActivitySnapshot
            {
                SnapshotId = ActivitySnapshot.MakeId(containerId, s * 1_800_000_000L),
                Container = Container with { Id = containerId },
                HostName = $"host-{s % 5}",
                WindowStartUs = s * 1_800_000_000L,
                WindowEndUs = (s + 1) * 1_800_000_000L,
                EventCount = nodesPerSnapshot * 3,
                Nodes = [.. nodes.Order().Select(i => universe[i]).OrderBy(n => n.Id)],
            };
        }
        return snapshots;
    }

    private static RawEvent Exec(long t, int pid, string path, params string[] args) =>
        new() { Kind = EventKind.Exec, TimestampUs = t, Pid = pid, Comm = args[0], ExecutablePath = path, Args = args };

    private static RawEvent Open(long t, int pid, string path, int flags) =>
        new() { Kind = EventKind.Open, TimestampUs = t, Pid = pid, Comm = "nginx", FilePath = path, FileFlags = flags };

    private static RawEvent Dns(long t, int pid, string name) =>
        new() { Kind = EventKind.Dns, TimestampUs = t, Pid = pid, Comm = "nginx", DnsQuestionName = name, DnsQuestionType = 1, Transport = NetworkTransport.Udp, DestinationPort = 53 };

    private static RawEvent Connect(long t, int pid, string address, int port) =>
        new() { Kind = EventKind.Connect, TimestampUs = t, Pid = pid, Comm = "nginx", DestinationAddress = address, DestinationPort = port, Transport = NetworkTransport.Tcp };
}
