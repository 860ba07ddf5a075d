using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// The data the explorer tests browse, made the way the pipeline makes it: snapshots with real node ids
/// (<see cref="NodeIdentity"/>), merged by <see cref="ProfileAggregate"/>, signals enriched by <see cref="SuggestionMatcher"/>,
/// and written with the sink's table mappings.
/// <list type="bullet">
/// <item>nginx 1.26: Stable after 4 snapshots of 4 containers; nginx, its config, api.example.com and tcp/443 in all of
/// them; a shell running curl (which reached tcp/80) in one.</item>
/// <item>nginx 1.27: Learning, 2 snapshots; no shell any more, and a new DNS name.</item>
/// <item>registry.local/team/api 2.0: one snapshot (an image name with '/').</item>
/// </list>
/// </summary>
public static class Warehouse
{
    /// <summary>The Kubernetes pod of container c-1 (declared first: the lists below use it).</summary>
    public static KubernetesMeta WebPod { get; } = new()
    {
        Namespace = "payments", PodName = "web-7d4b9c5f8-x2x9k", PodUid = "uid-web", ContainerName = "nginx",
        Labels = new Dictionary<string, string> { ["app"] = "web" }, WorkloadKind = "Deployment", WorkloadName = "web",
    };

    public static readonly long T0 = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;
    private const long Minute = 60_000_000;
    private static readonly ProfilePolicy Policy = new() { StableSnapshotCount = 4 };
    // Static fields initialize in text order: these two are used by the initializers below.
    private static readonly List<ActivitySnapshot> AllSnapshots = [];
    private static readonly ProcessRef NginxProcess = new("/usr/sbin/nginx", ["nginx"]);

    public const string Nginx = "nginx";
    public const string ApiImage = "registry.local/team/api";

    public static readonly string NginxKey = NodeIdentity.ProcessKey("/usr/sbin/nginx", ["nginx"]);
    public static readonly ulong NginxId = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, NginxKey);
    public static readonly string ShellKey = NodeIdentity.ProcessKey("/bin/sh", ["sh", "-c", "curl http://example.com"]);
    public static readonly ulong ShellId = NodeIdentity.Compute(NginxId, NodeKind.Process, ShellKey);
    public static readonly ulong CurlId = NodeIdentity.Compute(ShellId, NodeKind.Process, "/usr/bin/curl");
    public static readonly ulong ConfId = NodeIdentity.Compute(NginxId, NodeKind.File, "/etc/nginx/nginx.conf");
    public static readonly ulong ApiDnsId = NodeIdentity.Compute(NginxId, NodeKind.Dns, "api.example.com");
    public static readonly ulong NewDnsId = NodeIdentity.Compute(NginxId, NodeKind.Dns, "new.example.com");
    public static readonly ulong HttpsId = NodeIdentity.Compute(NginxId, NodeKind.Network, "tcp/443/public");
    public static readonly ulong CurlHttpId = NodeIdentity.Compute(CurlId, NodeKind.Network, "tcp/80/public");
    public static readonly ulong ApiServerId = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/app/server");
    public static readonly ulong ApiConfigId = NodeIdentity.Compute(ApiServerId, NodeKind.File, "/app/config/*.yaml");

    public const string ConfSignal = "sig-nginx-conf";
    public const string ShellSignal = "sig-nginx-shell";
    public const string LearningSignal = "sig-nginx-127";
    /// <summary>A signal with a suggestion that only the browser test accepts.</summary>
    public const string DnsSignal = "sig-nginx-dns";
    public const string DnsRule = "unexpected-dns-lookup";
    public const string ReadRule = "read-sensitive-file";
    public const string ShellRule = "shell-in-container";

    /// <summary>An accepted suppression the tests may remove.</summary>
    public static readonly Suppression ExistingSuppression = new()
    {
        Id = Suppression.MakeId(ReadRule, ApiImage, ApiConfigId),
        RuleId = ReadRule,
        ImageName = ApiImage,
        NodeId = ApiConfigId,
        Expression = SuggestionMatcher.Expression(ApiImage, ApiConfigId),
        Description = "/app/server › open /app/config/*.yaml",
        CreatedBy = "alice",
        CreatedAtUs = T0 + 5 * Minute,
    };

    public static SecurityProfile Nginx126 { get; } = Merge(Nginx, "1.26",
    [
        Snapshot("c-1", Nginx, "1.26", 0, Base126),
        Snapshot("c-2", Nginx, "1.26", 1, Base126),
        Snapshot("c-3", Nginx, "1.26", 2, Base126),
        Snapshot("c-4", Nginx, "1.26", 3, [.. Base126, Process(ShellId, NginxId, ShellKey), Process(CurlId, ShellId, "/usr/bin/curl"),
            Leaf(CurlHttpId, CurlId, NodeKind.Network, "tcp/80/public")]),
    ]);

    public static SecurityProfile Nginx127 { get; } = Merge(Nginx, "1.27",
    [
        Snapshot("c-5", Nginx, "1.27", 4, Base127),
        Snapshot("c-6", Nginx, "1.27", 5, Base127),
    ]);

    public static SecurityProfile Api20 { get; } = Merge(ApiImage, "2.0",
    [
        Snapshot("c-7", ApiImage, "2.0", 6, [Process(ApiServerId, 0, "/app/server"), Leaf(ApiConfigId, ApiServerId, NodeKind.File, "/app/config/*.yaml", FileAccessMode.Read)]),
    ]);

    public static IReadOnlyList<SecurityProfile> Profiles => [Nginx126, Nginx127, Api20];

    public static IReadOnlyList<ActivitySnapshot> Snapshots => AllSnapshots;

    public static IReadOnlyList<EnrichedSignal> Signals { get; } =
    [
        Enrich(Nginx126, Signal(ConfSignal, ReadRule, "1.26", 10, new Behaviour
        {
            Kind = NodeKind.File, Ancestry = [NginxProcess], FilePath = "/etc/nginx/nginx.conf", Access = FileAccessMode.Read,
        })),
        Enrich(Nginx126, Signal(ShellSignal, ShellRule, "1.26", 11, new Behaviour
        {
            Kind = NodeKind.Process, Ancestry = [NginxProcess, new ProcessRef("/bin/sh", ["sh", "-c", "curl http://example.com"])],
        })),
        Enrich(Nginx126, Signal(DnsSignal, DnsRule, "1.26", 13, new Behaviour
        {
            Kind = NodeKind.Dns, Ancestry = [NginxProcess], DnsQuestionName = "API.example.com.",
        })),
        Enrich(Nginx127, Signal(LearningSignal, ReadRule, "1.27", 12, new Behaviour
        {
            Kind = NodeKind.File, Ancestry = [NginxProcess], FilePath = "/etc/nginx/nginx.conf", Access = FileAccessMode.Read,
        })),
    ];

    public static IReadOnlyList<ContainerInfo> Containers { get; } =
    [
        Container("c-1", "1.26", ContainerState.Running, profiled: true),
        Container("c-2", "1.26", ContainerState.Running, profiled: false),
        Container("c-3", "1.26", ContainerState.Exited, profiled: false),
        Container("c-5", "1.27", ContainerState.Running, profiled: true),
    ];

    public static async Task SeedAsync(ClickHouseDatabase database)
    {
        var snapshots = Snapshots;
        await database.InsertAsync(ProfilesTable.Table, Profiles.Select(ProfilesTable.Row));
        await database.InsertAsync(ProfileNodesTable.Table, Profiles.SelectMany(ProfileNodesTable.Rows));
        await database.InsertAsync(SnapshotsTable.Table, snapshots.Select(SnapshotsTable.Row));
        await database.InsertAsync(SnapshotNodesTable.Table, snapshots.SelectMany(SnapshotNodesTable.Rows));
        await database.InsertAsync(EnrichedSignalsTable.Table, Signals.Select(EnrichedSignalsTable.Row));
        await database.InsertAsync(SuppressionsTable.Table, [SuppressionsTable.Row(ExistingSuppression)]);
        await database.InsertAsync(ContainersTable.Table, Containers.Select(ContainersTable.Row));
    }

    private static SnapshotNode[] Base126 =>
    [
        Process(NginxId, 0, NginxKey),
        Leaf(ConfId, NginxId, NodeKind.File, "/etc/nginx/nginx.conf", FileAccessMode.Read),
        Leaf(ApiDnsId, NginxId, NodeKind.Dns, "api.example.com"),
        Leaf(HttpsId, NginxId, NodeKind.Network, "tcp/443/public"),
    ];

    private static SnapshotNode[] Base127 =>
    [
        Process(NginxId, 0, NginxKey),
        Leaf(ConfId, NginxId, NodeKind.File, "/etc/nginx/nginx.conf", FileAccessMode.Read),
        Leaf(NewDnsId, NginxId, NodeKind.Dns, "new.example.com"),
        Leaf(HttpsId, NginxId, NodeKind.Network, "tcp/443/public"),
    ];


    // A process node's snapshot carries the argument signature its process ran with: the signals' ancestry below runs the
    // shell with its script and the others without arguments.
    private static SnapshotNode Process(ulong id, ulong parent, string key) =>
        new()
        {
            Id = id, ParentId = parent, Kind = NodeKind.Process, Key = key, EventCount = 3, FirstSeenUs = T0, LastSeenUs = T0 + Minute,
            Signatures = [key == ShellKey ? ArgumentSignature.Of("/bin/sh", ["sh", "-c", "curl http://example.com"]) : ""],
        };

    private static SnapshotNode Leaf(ulong id, ulong parent, NodeKind kind, string key, FileAccessMode access = FileAccessMode.None) =>
        new() { Id = id, ParentId = parent, Kind = kind, Key = key, EventCount = 5, Access = access, FirstSeenUs = T0, LastSeenUs = T0 + Minute };

    private static ActivitySnapshot Snapshot(string container, string image, string tag, int window, SnapshotNode[] nodes)
    {
        var start = T0 + window * 30 * Minute;
        var snapshot = new ActivitySnapshot
        {
            SnapshotId = ActivitySnapshot.MakeId(container, start),
            Container = new ContainerRef(container, image, tag),
            HostName = "host-a",
            WindowStartUs = start,
            WindowEndUs = start + 30 * Minute,
            FirstEventUs = start,
            LastEventUs = start + Minute,
            EventCount = nodes.Sum(n => n.EventCount),
            Nodes = nodes,
        };
        AllSnapshots.Add(snapshot);
        return snapshot;
    }

    private static SecurityProfile Merge(string image, string tag, ActivitySnapshot[] snapshots)
    {
        var aggregate = new ProfileAggregate(new ProfileKey(image, tag), Policy);
        foreach (var snapshot in snapshots)
        {
            var outcome = aggregate.Merge(snapshot, snapshot.WindowEndUs);
            if (outcome != MergeOutcome.Applied) throw new InvalidOperationException($"Seed snapshot {snapshot.SnapshotId} was not merged: {outcome}");
        }
        return aggregate.ToProfile();
    }

    private static SecuritySignal Signal(string id, string rule, string tag, int minute, Behaviour behaviour) => new()
    {
        SignalId = id,
        RuleId = rule,
        RuleName = rule.Replace('-', ' '),
        Severity = Severity.High,
        TimestampUs = T0 + minute * Minute,
        Source = "rules",
        Container = new ContainerRef(tag == "1.26" ? "c-1" : "c-5", Nginx, tag) { Kubernetes = tag == "1.26" ? WebPod : null },
        HostName = "host-a",
        Message = $"{rule} in nginx {tag}",
        Tags = ["mitre:T1005"],
        Behaviour = behaviour,
    };

    private static EnrichedSignal Enrich(SecurityProfile profile, SecuritySignal signal) =>
        new SuggestionMatcher().Enrich(signal, profile, signal.TimestampUs + Minute);

    private static ContainerInfo Container(string id, string tag, ContainerState state, bool profiled) => new()
    {
        Container = new ContainerRef(id, Nginx, tag) { Kubernetes = id == "c-1" ? WebPod : null },
        Name = $"web-{id}",
        HostName = "host-a",
        State = state,
        Profiled = profiled,
        StartedAtUs = T0,
        ProfilingSinceUs = profiled ? T0 : null,
        ExitedAtUs = state == ContainerState.Exited ? T0 + Minute : null,
        UpdatedAtUs = T0 + Minute,
    };
}
