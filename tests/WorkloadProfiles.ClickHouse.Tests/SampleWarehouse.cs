using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>
/// A small, hand-checkable data set: nginx 1.26 (Stable, with an older revision that must lose), nginx 1.27 (Learning,
/// one behaviour added and three removed), redis 7.2 (Stable), their snapshots, signals with and without suggestions,
/// one accepted and one removed suppression, and containers. The analyst-query tests assert against it.
/// </summary>
public static class SampleWarehouse
{
    public static readonly long T0 = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;
    private const long Minute = 60_000_000;

    public const ulong Nginx = 0x1001, NginxConf = 0x1002, NginxDns = 0x1003, NginxShell = 0x1004, ShellCurl = 0x1005, NginxHttps = 0x2001;
    public const ulong Redis = 0x3001, RedisDump = 0x3002, RedisShell = 0x3003;

    public static SecurityProfile Nginx126Old { get; } = Profile("nginx", "1.26", ProfileStatus.Learning, revision: 2, snapshots: 2,
    [
        Node(Nginx, 0, NodeKind.Process, "/usr/sbin/nginx", 2, 1.0),
        Node(NginxConf, Nginx, NodeKind.File, "/etc/nginx/*.conf", 2, 1.0, FileAccessMode.Read),
        Node(NginxShell, Nginx, NodeKind.Process, "/bin/sh -c *", 1, 0.5),
    ], ["c1:1000", "c2:2000"]);

    public static SecurityProfile Nginx126 { get; } = Profile("nginx", "1.26", ProfileStatus.Stable, revision: 3, snapshots: 3,
    [
        Node(Nginx, 0, NodeKind.Process, "/usr/sbin/nginx", 3, 1.0),
        Node(NginxConf, Nginx, NodeKind.File, "/etc/nginx/*.conf", 3, 1.0, FileAccessMode.Read),
        Node(NginxDns, Nginx, NodeKind.Dns, "api.example.com", 2, 2 / 3.0),
        Node(NginxShell, Nginx, NodeKind.Process, "/bin/sh -c *", 1, 1 / 3.0),
        Node(ShellCurl, NginxShell, NodeKind.Process, "/usr/bin/curl", 1, 1 / 3.0),
    ], ["c1:1000", "c2:2000", "c3:3000"]);

    public static SecurityProfile Nginx127 { get; } = Profile("nginx", "1.27", ProfileStatus.Learning, revision: 1, snapshots: 1,
    [
        Node(Nginx, 0, NodeKind.Process, "/usr/sbin/nginx", 1, 1.0),
        Node(NginxConf, Nginx, NodeKind.File, "/etc/nginx/*.conf", 1, 1.0, FileAccessMode.Read),
        Node(NginxHttps, Nginx, NodeKind.Network, "tcp/443/public", 1, 1.0),
    ], ["c4:4000"]);

    public static SecurityProfile Redis72 { get; } = Profile("redis", "7.2", ProfileStatus.Stable, revision: 5, snapshots: 20,
    [
        Node(Redis, 0, NodeKind.Process, "/usr/bin/redis-server", 20, 1.0),
        Node(RedisDump, Redis, NodeKind.File, "/data/dump.rdb", 18, 0.9, FileAccessMode.Read | FileAccessMode.Write),
        Node(RedisShell, Redis, NodeKind.Process, "/bin/sh -c *", 1, 0.05),
    ], ["r1:1"]);

    public static IReadOnlyList<SecurityProfile> Profiles { get; } = [Nginx126Old, Nginx126, Nginx127, Redis72];

    /// <summary>Three snapshots merged into nginx 1.26, one that arrived after it turned Stable (c9), one for 1.27.</summary>
    public static IReadOnlyList<ActivitySnapshot> Snapshots { get; } =
    [
        Snapshot("c1", 1000, "nginx", "1.26", T0, [Nginx, NginxConf, NginxDns]),
        Snapshot("c2", 2000, "nginx", "1.26", T0 + 30 * Minute, [Nginx, NginxConf, NginxDns]),
        Snapshot("c3", 3000, "nginx", "1.26", T0 + 60 * Minute, [Nginx, NginxConf, NginxShell, ShellCurl]),
        Snapshot("c9", 9000, "nginx", "1.26", T0 + 90 * Minute, [Nginx]),
        Snapshot("c4", 4000, "nginx", "1.27", T0 + 120 * Minute, [Nginx, NginxConf, NginxHttps]),
    ];

    /// <summary>A Deployment's pod, with labels (declared before the lists that use them); a bare pod no workload owns. Signals without a pod ran outside Kubernetes.</summary>
    public static KubernetesMeta WebPod { get; } = new()
    {
        Namespace = "shop", PodName = "web-5d8f7c9b4-x2x9k", PodUid = "uid-web", ContainerName = "nginx",
        Labels = new Dictionary<string, string> { ["pod-template-hash"] = "5d8f7c9b4", ["app"] = "web" },
        WorkloadKind = "Deployment", WorkloadName = "web",
    };

    public static KubernetesMeta DebugPod { get; } = new() { Namespace = "shop", PodName = "debug", PodUid = "uid-debug", ContainerName = "sh" };

    public static IReadOnlyList<EnrichedSignal> Signals { get; } =
    [
        Signal("sig-1", "read-sensitive-config", "nginx", "1.26", NginxConf, "/etc/nginx/*.conf", 1.0, 3, WebPod),
        Signal("sig-2", "read-sensitive-config", "nginx", "1.26", NginxConf, "/etc/nginx/*.conf", 1.0, 3, WebPod),
        Signal("sig-3", "shell-in-container", "nginx", "1.26", null, null, 0, 0, DebugPod),
        Signal("sig-4", "read-sensitive-config", "redis", "7.2", RedisDump, "/data/dump.rdb", 0.9, 20),
    ];

    public static IReadOnlyList<Suppression> Suppressions { get; } =
    [
        Suppression("read-sensitive-config", "nginx", NginxConf, removedAtUs: null),
        // Created, then removed: the removal (later version) must win, so this suggestion is not accepted.
        Suppression("read-sensitive-config", "redis", RedisDump, removedAtUs: null),
        Suppression("read-sensitive-config", "redis", RedisDump, removedAtUs: T0 + 10 * Minute),
    ];

    public static IReadOnlyList<ContainerInfo> Containers { get; } =
    [
        Container("c1", "nginx", "1.26", ContainerState.Running, profiled: true, updatedAtUs: T0, WebPod),
        Container("c2", "nginx", "1.26", ContainerState.Exited, profiled: false, updatedAtUs: T0 + Minute),
        Container("c4", "nginx", "1.27", ContainerState.Running, profiled: false, updatedAtUs: T0 + 2 * Minute),
    ];

    public static async Task SeedAsync(ClickHouseDatabase database)
    {
        await database.InsertAsync(ProfilesTable.Table, Profiles.Select(ProfilesTable.Row));
        await database.InsertAsync(ProfileNodesTable.Table, Profiles.SelectMany(ProfileNodesTable.Rows));
        await database.InsertAsync(SnapshotsTable.Table, Snapshots.Select(SnapshotsTable.Row));
        await database.InsertAsync(SnapshotNodesTable.Table, Snapshots.SelectMany(SnapshotNodesTable.Rows));
        await database.InsertAsync(EnrichedSignalsTable.Table, Signals.Select(EnrichedSignalsTable.Row));
        await database.InsertAsync(SuppressionsTable.Table, Suppressions.Select(SuppressionsTable.Row));
        await database.InsertAsync(ContainersTable.Table, Containers.Select(ContainersTable.Row));
    }

    private static ProfileNode Node(ulong id, ulong parent, NodeKind kind, string key, long snapshots, double commonality,
        FileAccessMode access = FileAccessMode.None) => new()
    {
        Id = id, ParentId = parent, Kind = kind, Key = key, SnapshotCount = snapshots, ContainerCount = snapshots,
        EventCount = snapshots * 10, Commonality = commonality, ContainerCommonality = commonality, Access = access,
        FirstSeenUs = T0, LastSeenUs = T0 + snapshots * Minute,
    };

    private static SecurityProfile Profile(string image, string tag, ProfileStatus status, long revision, long snapshots,
        IReadOnlyList<ProfileNode> nodes, IReadOnlyList<string> snapshotIds) => new()
    {
        Key = new ProfileKey(image, tag), Status = status, Revision = revision, SnapshotCount = snapshots,
        ContainerCount = snapshotIds.Count, HostCount = 1, Commonality = 0.75, FirstProcessedUs = T0,
        LastUpdatedUs = T0 + revision * Minute, StableSinceUs = status == ProfileStatus.Stable ? T0 + revision * Minute : null,
        Nodes = nodes, SnapshotIds = snapshotIds, ContainerIds = snapshotIds.Select(s => s.Split(':')[0]).Distinct().ToList(),
        HostNames = ["host-a"],
    };

    private static ActivitySnapshot Snapshot(string container, long windowKey, string image, string tag, long windowStartUs, ulong[] nodeIds) => new()
    {
        SnapshotId = $"{container}:{windowKey}", Container = new ContainerRef(container, image, tag), HostName = "host-a",
        WindowStartUs = windowStartUs, WindowEndUs = windowStartUs + 30 * Minute, FirstEventUs = windowStartUs,
        LastEventUs = windowStartUs + Minute, EventCount = nodeIds.Length * 10L,
        Nodes = nodeIds.Select(id => new SnapshotNode
        {
            Id = id, ParentId = 0, Kind = NodeKind.Process, Key = $"node-{id:x}", EventCount = 10,
            FirstSeenUs = windowStartUs, LastSeenUs = windowStartUs + Minute,
        }).ToList(),
    };

    private static EnrichedSignal Signal(string id, string rule, string image, string tag, ulong? node, string? path, double commonality, long snapshots,
        KubernetesMeta? pod = null)
    {
        var signal = new SecuritySignal
        {
            SignalId = id, RuleId = rule, RuleName = rule.Replace('-', ' '), Severity = Severity.Medium, TimestampUs = T0 + Minute,
            Source = "rules", Container = new ContainerRef("c1", image, tag) { Kubernetes = pod }, HostName = "host-a", Message = $"{rule} fired",
            Behaviour = new Behaviour
            {
                Kind = path is null ? NodeKind.Process : NodeKind.File,
                Ancestry = [new ProcessRef("/usr/sbin/nginx", ["nginx"])],
                FilePath = path,
                Access = FileAccessMode.Read,
            },
        };
        var profile = new ProfileContext
        {
            ImageName = image, ImageTag = tag, Status = ProfileStatus.Stable, SnapshotCount = snapshots, ProfileCommonality = 0.75,
            BehaviourInProfile = node is not null, NodeId = node, NodeCommonality = node is null ? null : commonality,
            ProfileLink = $"/profiles/{image}/{tag}",
        };
        var suggestion = node is null ? null : new SuppressionSuggestion
        {
            RuleId = rule, ImageName = image, NodeId = node.Value,
            Expression = $"container.image.name == \"{image}\" && behaviour.node_id == \"{node.Value:x16}\"",
            Description = $"read {path}", Evidence = new SuggestionEvidence(commonality, commonality, snapshots, T0, T0 + Minute),
        };
        return new EnrichedSignal
        {
            Signal = signal, Profile = profile, Suggestion = suggestion,
            NoSuggestionReason = node is null ? "node-unseen" : null, EnrichedAtUs = T0 + 2 * Minute,
        };
    }

    private static Suppression Suppression(string rule, string image, ulong node, long? removedAtUs) => new()
    {
        Id = Domain.Signals.Suppression.MakeId(rule, image, node), RuleId = rule, ImageName = image, NodeId = node,
        Expression = $"container.image.name == \"{image}\"", CreatedBy = "analyst", CreatedAtUs = T0 + Minute,
        Removed = removedAtUs is not null, RemovedBy = removedAtUs is null ? null : "analyst", RemovedAtUs = removedAtUs,
    };

    private static ContainerInfo Container(string id, string image, string tag, ContainerState state, bool profiled, long updatedAtUs,
        KubernetesMeta? pod = null) => new()
    {
        Container = new ContainerRef(id, image, tag) { Kubernetes = pod }, Name = $"{image}-{id}", HostName = "host-a", State = state,
        Profiled = profiled, StartedAtUs = T0, UpdatedAtUs = updatedAtUs, CgroupId = 4242,
    };
}

/// <summary>A migrated database holding <see cref="SampleWarehouse"/>.</summary>
public sealed class SampleWarehouseFixture : MigratedDatabaseFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SampleWarehouse.SeedAsync(Database);
    }
}
