using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// The data the signals view and the profile page's charts are tested on, made like <see cref="Warehouse"/> (real node
/// ids, <see cref="ProfileAggregate"/>, <see cref="SuggestionMatcher"/>, the sink's table mappings):
/// <list type="bullet">
/// <item>shop/web 2.3: Stable after 12 snapshots of 4 containers, one every 30 minutes. nginx (config, a DNS name, https)
/// runs php-fpm (code read, a log written in 9 of 12 snapshots, the database on tcp/5432), which ran a shell in 2 of 12
/// and curl under it in 1.</item>
/// <item>shop/web 2.4: Learning, 3 snapshots a day later.</item>
/// <item>shop/worker has no profile.</item>
/// <item>Signals in <see cref="Groups"/>: 66 groups of (rule, image, behaviour), among them one spanning both versions, a
/// drift group, 60 one-to-three-signal DNS groups, and an unprofiled group raised two hours before the tests run.</item>
/// </list>
/// </summary>
public static class TriageWarehouse
{
    public static readonly long T0 = new DateTimeOffset(2026, 10, 5, 6, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;
    public const long Minute = 60_000_000;
    public const int StableSnapshotCount = 12;
    public const string Web = "shop/web";
    public const string Worker = "shop/worker";

    private static readonly ProcessRef NginxRef = new("/usr/sbin/nginx", ["nginx"]);
    private static readonly ProcessRef PhpRef = new("/usr/sbin/php-fpm", ["php-fpm"]);
    private static readonly ProcessRef ShellRef = new("/bin/sh", ["sh", "-c", "curl -s http://status"]);

    public static readonly string NginxKey = NodeIdentity.ProcessKey(NginxRef.ExecutablePath, NginxRef.Args);
    public static readonly ulong NginxId = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, NginxKey);
    public static readonly ulong PhpId = NodeIdentity.Compute(NginxId, NodeKind.Process, NodeIdentity.ProcessKey(PhpRef.ExecutablePath, PhpRef.Args));
    public static readonly ulong ShellId = NodeIdentity.Compute(PhpId, NodeKind.Process, NodeIdentity.ProcessKey(ShellRef.ExecutablePath, ShellRef.Args));
    public static readonly ulong CurlId = NodeIdentity.Compute(ShellId, NodeKind.Process, "/usr/bin/curl");
    public static readonly ulong ConfId = NodeIdentity.Compute(NginxId, NodeKind.File, "/etc/nginx/nginx.conf");
    public static readonly ulong ApiDnsId = NodeIdentity.Compute(NginxId, NodeKind.Dns, "api.shop.example");
    public static readonly ulong HttpsId = NodeIdentity.Compute(NginxId, NodeKind.Network, "tcp/443/public");
    public static readonly ulong CodeId = NodeIdentity.Compute(PhpId, NodeKind.File, "/srv/app/index.php");
    public static readonly ulong LogId = NodeIdentity.Compute(PhpId, NodeKind.File, "/var/log/app.log");
    public static readonly ulong DbId = NodeIdentity.Compute(PhpId, NodeKind.Network, "tcp/5432/private");
    public static readonly ulong CurlHttpId = NodeIdentity.Compute(CurlId, NodeKind.Network, "tcp/80/public");

    public const string ReadRule = "read-sensitive-file";
    public const string WriteRule = "write-below-var";
    public const string ShellRule = "shell-in-container";
    public const string DriftRule = "wp.drift.process";
    public const string DnsRule = "unexpected-dns";
    public const string TrackerRule = "outbound-dns";
    public const string MinerRule = "crypto-miner";

    /// <summary>One group of signals as the seed makes it: how many, of which severity, on which versions.</summary>
    public sealed record GroupSpec(string Rule, string Image, string[] Tags, Behaviour Behaviour, int Count, Severity Severity, bool Recent = false);

    public static IReadOnlyList<GroupSpec> Groups { get; } = BuildGroups();

    private static List<GroupSpec> BuildGroups()
    {
        var groups = new List<GroupSpec>
        {
            new(ReadRule, Web, ["2.3", "2.4"], FileBehaviour([NginxRef], "/etc/nginx/nginx.conf", FileAccessMode.Read), 40, Severity.High),
            new(WriteRule, Web, ["2.3"], FileBehaviour([NginxRef, PhpRef], "/var/log/app.log", FileAccessMode.Write), 25, Severity.Medium),
            new(ShellRule, Web, ["2.3"], new Behaviour { Kind = NodeKind.Process, Ancestry = [NginxRef, PhpRef, ShellRef] }, 12, Severity.Critical),
            new(DriftRule, Web, ["2.3"], new Behaviour { Kind = NodeKind.Process, Ancestry = [NginxRef, PhpRef, ShellRef, new("/usr/bin/nc", ["nc", "-l"])] }, 7, Severity.High),
            new(DnsRule, Web, ["2.3"], new Behaviour { Kind = NodeKind.Dns, Ancestry = [NginxRef], DnsQuestionName = "api.shop.example" }, 5, Severity.Low),
            new(MinerRule, Worker, ["1.0"], new Behaviour { Kind = NodeKind.Process, Ancestry = [new("/tmp/xmrig", ["xmrig", "--donate-level=1"])] }, 6, Severity.Critical, Recent: true),
        };
        for (var k = 0; k < 60; k++)
        {
            groups.Add(new(TrackerRule, Web, ["2.3"], new Behaviour { Kind = NodeKind.Dns, Ancestry = [NginxRef], DnsQuestionName = $"t{k:00}.tracker.example" },
                1 + k % 3, Severity.Info));
        }
        return groups;
    }

    // Static properties initialize in text order: the snapshots list is filled by the two profiles below.
    public static List<ActivitySnapshot> AllSnapshots { get; } = [];

    public static SecurityProfile Web23 { get; } = Merge("2.3", Enumerable.Range(0, StableSnapshotCount).Select(i => Snapshot($"w-{i % 4 + 1}", "2.3", i, Nodes23(i))).ToArray());

    public static SecurityProfile Web24 { get; } = Merge("2.4", Enumerable.Range(0, 3).Select(i => Snapshot($"w-{5 + i % 2}", "2.4", 48 + i, Nodes23(0))).ToArray());

    /// <summary>The enriched signals, each group's signals a minute apart from its own start.</summary>
    public static IReadOnlyList<EnrichedSignal> Signals(DateTimeOffset now)
    {
        var matcher = new SuggestionMatcher();
        var signals = new List<EnrichedSignal>();
        for (var g = 0; g < Groups.Count; g++)
        {
            var spec = Groups[g];
            for (var i = 0; i < spec.Count; i++)
            {
                var tag = spec.Tags[i % spec.Tags.Length];
                var time = spec.Recent
                    ? now.AddHours(-2).ToUnixTimeMilliseconds() * 1000 + i * Minute
                    : T0 + (tag == "2.4" ? 49 * 30 : 30) * Minute + g * 3 * Minute + i * Minute % (300 * Minute);
                var signal = new SecuritySignal
                {
                    SignalId = $"tri-{g:00}-{i:00}",
                    RuleId = spec.Rule,
                    RuleName = spec.Rule.Replace('-', ' '),
                    Severity = spec.Severity,
                    TimestampUs = time,
                    Source = "rules",
                    Container = new ContainerRef($"w-{1 + i % 4}", spec.Image, tag),
                    HostName = "host-b",
                    Message = $"{spec.Rule} in {spec.Image}:{tag}",
                    Behaviour = spec.Behaviour,
                };
                var profile = spec.Image != Web ? null : tag == "2.3" ? Web23 : Web24;
                signals.Add(matcher.Enrich(signal, profile, time + Minute));
            }
        }
        return signals;
    }

    public static async Task SeedAsync(ClickHouseDatabase database, DateTimeOffset now)
    {
        SecurityProfile[] profiles = [Web23, Web24];
        await database.InsertAsync(ProfilesTable.Table, profiles.Select(ProfilesTable.Row));
        await database.InsertAsync(ProfileNodesTable.Table, profiles.SelectMany(ProfileNodesTable.Rows));
        await database.InsertAsync(SnapshotsTable.Table, AllSnapshots.Select(SnapshotsTable.Row));
        await database.InsertAsync(SnapshotNodesTable.Table, AllSnapshots.SelectMany(SnapshotNodesTable.Rows));
        await database.InsertAsync(EnrichedSignalsTable.Table, Signals(now).Select(EnrichedSignalsTable.Row));
    }

    private static Behaviour FileBehaviour(ProcessRef[] ancestry, string path, FileAccessMode access) =>
        new() { Kind = NodeKind.File, Ancestry = ancestry, FilePath = path, Access = access };

    private static SnapshotNode[] Nodes23(int i)
    {
        var start = T0 + i * 30 * Minute;
        var nodes = new List<SnapshotNode>
        {
            Node(NginxId, 0, NodeKind.Process, NginxKey, start),
            Node(ConfId, NginxId, NodeKind.File, "/etc/nginx/nginx.conf", start, FileAccessMode.Read),
            Node(ApiDnsId, NginxId, NodeKind.Dns, "api.shop.example", start),
            Node(HttpsId, NginxId, NodeKind.Network, "tcp/443/public", start),
            Node(PhpId, NginxId, NodeKind.Process, NodeIdentity.ProcessKey(PhpRef.ExecutablePath, PhpRef.Args), start),
            Node(CodeId, PhpId, NodeKind.File, "/srv/app/index.php", start, FileAccessMode.Read),
            Node(DbId, PhpId, NodeKind.Network, "tcp/5432/private", start),
        };
        if (i >= 3) nodes.Add(Node(LogId, PhpId, NodeKind.File, "/var/log/app.log", start, FileAccessMode.Write));
        if (i is 5 or 9) nodes.Add(Node(ShellId, PhpId, NodeKind.Process, NodeIdentity.ProcessKey(ShellRef.ExecutablePath, ShellRef.Args), start));
        if (i is 9)
        {
            nodes.Add(Node(CurlId, ShellId, NodeKind.Process, "/usr/bin/curl", start));
            nodes.Add(Node(CurlHttpId, CurlId, NodeKind.Network, "tcp/80/public", start));
        }
        return [.. nodes];
    }

    // Process nodes carry the argument signature their process ran with (the shell its script, the others none).
    private static SnapshotNode Node(ulong id, ulong parent, NodeKind kind, string key, long windowStart, FileAccessMode access = FileAccessMode.None) =>
        new()
        {
            Id = id, ParentId = parent, Kind = kind, Key = key, EventCount = 4, Access = access, FirstSeenUs = windowStart + Minute, LastSeenUs = windowStart + 2 * Minute,
            Signatures = kind != NodeKind.Process ? [] : [id == ShellId ? ArgumentSignature.Of(ShellRef.ExecutablePath, ShellRef.Args) : ""],
        };

    private static ActivitySnapshot Snapshot(string container, string tag, int window, SnapshotNode[] nodes)
    {
        var start = T0 + window * 30 * Minute;
        var snapshot = new ActivitySnapshot
        {
            SnapshotId = ActivitySnapshot.MakeId(container, start),
            Container = new ContainerRef(container, Web, tag),
            HostName = "host-b",
            WindowStartUs = start,
            WindowEndUs = start + 30 * Minute,
            FirstEventUs = start,
            LastEventUs = start + 2 * Minute,
            EventCount = nodes.Sum(n => n.EventCount),
            Nodes = nodes,
        };
        AllSnapshots.Add(snapshot);
        return snapshot;
    }

    private static SecurityProfile Merge(string tag, ActivitySnapshot[] snapshots)
    {
        var aggregate = new ProfileAggregate(new ProfileKey(Web, tag), new ProfilePolicy { StableSnapshotCount = StableSnapshotCount });
        foreach (var snapshot in snapshots)
        {
            var outcome = aggregate.Merge(snapshot, snapshot.WindowEndUs);
            if (outcome != MergeOutcome.Applied) throw new InvalidOperationException($"Seed snapshot {snapshot.SnapshotId} was not merged: {outcome}");
        }
        return aggregate.ToProfile();
    }
}
