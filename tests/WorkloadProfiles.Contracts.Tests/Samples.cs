using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Contracts.Tests;

/// <summary>Fully populated and minimal values of every contract type.</summary>
internal static class Samples
{
    /// <summary>The agent carries non-UTF-8 kernel bytes as literal \xNN escapes; arbitrary Unicode (astral, NUL, RTL) travels as is.</summary>
    public const string EscapedPath = @"/var/lib/\xff\xfe/weird\x80name";
    public const string UnicodePath = "/srv/données/日本語/😀\u0000\u202Etxt.exe/\U0010FFFF";
    public const ulong HighBitNodeId = 0xFEDC_BA98_7654_3210;

    private const long T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z in µs

    public static ContainerRef Container => new("3f2a9c0d4e5b", "registry.local/nginx", "1.27.3")
    {
        Kubernetes = new KubernetesMeta
        {
            Namespace = "payments",
            PodName = "shop-7d4b9c5f8-x2x9k",
            PodUid = "0f0e9a36-3c1b-4d2e-9a57-1c2b3d4e5f60",
            ContainerName = "nginx",
            // Maps are unordered on the wire; unsorted here on purpose. Empty and non-ASCII values travel as is.
            Labels = new Dictionary<string, string> { ["pod-template-hash"] = "7d4b9c5f8", ["app"] = "shop", ["team"] = "", ["note"] = "données 😀" },
            WorkloadKind = "Deployment",
            WorkloadName = "shop",
        },
    };
    public static ContainerRef UnresolvedContainer => new("c0ffee", null, null);

    public static RawEvent FullEvent => new()
    {
        Kind = EventKind.Connect,
        TimestampUs = T0 + 17,
        Pid = 4242,
        Tid = 4243,
        Ppid = 1,
        Uid = uint.MaxValue,
        Gid = 65534,
        Comm = "nginx: worker",
        ProcessStartUs = T0 - 5,
        ExecutablePath = EscapedPath,
        WorkingDirectory = UnicodePath,
        Args = ["/usr/sbin/nginx", "-g", "daemon off;", UnicodePath, ""],
        ChildPid = 4300,
        ExitCode = -9,
        FilePath = UnicodePath,
        FileFlags = 0x241,
        FileResolution = PathResolution.Joined,
        DnsQuestionName = "api.example.com",
        DnsQuestionType = 28,
        Transport = NetworkTransport.Udp,
        DestinationAddress = "2001:db8::1",
        DestinationPort = 53,
    };

    public static RawEvent MinimalEvent => new() { Kind = EventKind.Exec, TimestampUs = 0, Pid = 1 };

    public static IEnumerable<RawEvent> EventsOfEveryKind() =>
    [
        new() { Kind = EventKind.Exec, TimestampUs = T0, Pid = 10, Ppid = 1, Comm = "sh", ExecutablePath = "/bin/sh", Args = ["sh", "-c", "echo hi"] },
        new() { Kind = EventKind.Fork, TimestampUs = T0 + 1, Pid = 10, ChildPid = 11, Rescan = true },
        new() { Kind = EventKind.Open, TimestampUs = T0 + 2, Pid = 11, FilePath = EscapedPath, FileFlags = 0 },
        new() { Kind = EventKind.Open, TimestampUs = T0 + 2, Pid = 11, FileFlags = 1 }, // flags without a path: still lossless
        new() { Kind = EventKind.Open, TimestampUs = T0 + 2, Pid = 11, FileResolution = PathResolution.AsPassed }, // so is a lone resolution
        new() { Kind = EventKind.Open, TimestampUs = T0 + 2, Pid = 11, FilePath = "etc/shadow", FileResolution = PathResolution.AsPassed },
        new() { Kind = EventKind.Dns, TimestampUs = T0 + 3, Pid = 11, DnsQuestionName = "example.org", DnsQuestionType = 1, DestinationAddress = "10.0.0.2", DestinationPort = 53 },
        new() { Kind = EventKind.Connect, TimestampUs = T0 + 4, Pid = 11, Transport = NetworkTransport.Tcp, DestinationPort = 443 },
        new() { Kind = EventKind.Exit, TimestampUs = T0 + 5, Pid = 11, ExitCode = 127 },
        new() { Kind = EventKind.ContainerExit, TimestampUs = T0 + 6, Pid = 0 },
        new() { Kind = EventKind.Exec, TimestampUs = -1, Pid = -1, Args = [] }, // empty argv is not null argv
    ];

    public static RawEventBatch FullBatch => new()
    {
        Container = Container,
        HostName = "node-1.example",
        AgentId = "agent-7",
        Sequence = long.MaxValue,
        DroppedEvents = 12,
        Profiling = false,
        Events = [FullEvent, MinimalEvent, .. EventsOfEveryKind()],
    };

    public static RawEventBatch MinimalBatch => new() { Container = UnresolvedContainer, HostName = "", Events = [] };

    public static ActivitySnapshot FullSnapshot => new()
    {
        SnapshotId = ActivitySnapshot.MakeId(Container.Id, T0),
        Container = Container,
        HostName = "node-1",
        WindowStartUs = T0,
        WindowEndUs = T0 + 1_800_000_000,
        FirstEventUs = T0 + 5,
        LastEventUs = T0 + 1_799_999_999,
        EventCount = 123_456,
        ClosedByExit = true,
        Truncated = true,
        DroppedNodes = 3,
        DroppedEvents = 4,
        InvalidEvents = 6,
        TruncatedKeys = 2,
        Nodes =
        [
            new() { Id = 1, ParentId = 0, Kind = NodeKind.Process, Key = "/usr/sbin/nginx", EventCount = 5, FirstSeenUs = T0, LastSeenUs = T0 + 9,
                    Signatures = ["", "-g 'daemon off;'", UnicodePath], SignaturesOverflowed = true },
            new() { Id = HighBitNodeId, ParentId = 1, Kind = NodeKind.File, Key = EscapedPath, EventCount = 2, Access = FileAccessMode.Read | FileAccessMode.Write },
            new() { Id = ulong.MaxValue, ParentId = 1, Kind = NodeKind.Dns, Key = "example.org", Access = FileAccessMode.None },
            new() { Id = 7, ParentId = 1, Kind = NodeKind.Network, Key = "tcp/443/public", Access = FileAccessMode.Write },
        ],
    };

    public static ActivitySnapshot MinimalSnapshot => new()
    {
        SnapshotId = "s", Container = UnresolvedContainer, HostName = "h", WindowStartUs = 0, WindowEndUs = 0, Nodes = [],
    };

    public static SecurityProfile FullProfile => new()
    {
        Key = new ProfileKey("registry.local/nginx", "1.27.3"),
        Status = ProfileStatus.Stable,
        SnapshotCount = 200,
        ContainerCount = 12,
        HostCount = 3,
        RejectedSnapshots = 5,
        DuplicateSnapshots = 2,
        FirstProcessedUs = T0,
        LastUpdatedUs = T0 + 99,
        StableSinceUs = T0 + 98,
        Commonality = 0.8731,
        Revision = 201,
        Nodes =
        [
            new() { Id = HighBitNodeId, ParentId = 0, Kind = NodeKind.Process, Key = "/usr/sbin/nginx", SnapshotCount = 200, ContainerCount = 12, EventCount = 9999, FirstSeenUs = T0, LastSeenUs = T0 + 50, Commonality = 1.0, ContainerCommonality = 1.0, ContainerBits = [0xff, 0x0f],
                    Signatures = [new ProfileSignature("-g 'daemon off;'", 200, 1.0), new ProfileSignature(UnicodePath, 1, 0.005)], SignaturesOverflowed = true },
            new() { Id = 2, ParentId = HighBitNodeId, Kind = NodeKind.File, Key = UnicodePath, Access = FileAccessMode.Read, Commonality = double.Epsilon, ContainerCommonality = 1.0 / 3 },
        ],
        SnapshotIds = ["a:1", "b:2"],
        ContainerIds = ["a", "b"],
        HostNames = ["node-1", "node-2"],
    };

    public static SecurityProfile MinimalProfile => new()
    {
        Key = new ProfileKey("i", "t"), Nodes = [], SnapshotIds = [], ContainerIds = [], HostNames = [],
    };

    public static SecuritySignal FullSignal => new()
    {
        SignalId = "sig-1",
        RuleId = "WP-0001",
        RuleName = "Shell spawned by web server",
        RuleDescription = "A shell ran under the web server process.",
        Severity = Severity.Critical,
        TimestampUs = T0 + 1,
        Source = "falco",
        Container = Container,
        HostName = "node-1",
        Message = "nginx ran sh -c",
        Tags = ["mitre:T1059", "shell"],
        Behaviour = new Behaviour
        {
            Kind = NodeKind.File,
            Ancestry =
            [
                new ProcessRef("/usr/sbin/nginx", ["nginx", "-g", "daemon off;"]) { Pid = 1, StartUs = T0 - 100 },
                new ProcessRef("/bin/sh", ["sh", "-c", "*"]),
            ],
            FilePath = EscapedPath,
            Access = FileAccessMode.Write,
            DnsQuestionName = "evil.example",
            Transport = NetworkTransport.Tcp,
            DestinationAddress = "203.0.113.9",
            DestinationPort = 4444,
        },
        Process = new ActingProcess
        {
            ExecutablePath = "/bin/busybox",
            Args = ["sh", "-c", UnicodePath],
            Name = "sh",
            Pid = 77,
            Tid = 78,
            Ppid = 1,
            Uid = uint.MaxValue,
            Gid = 3,
            WorkingDirectory = EscapedPath,
            StartUs = T0 - 1,
        },
    };

    public static SecuritySignal MinimalSignal => new()
    {
        SignalId = "s", RuleId = "r", RuleName = "n", TimestampUs = 0, Source = "rules", Container = UnresolvedContainer,
        Behaviour = new Behaviour { Kind = NodeKind.Process, Ancestry = [] },
    };

    public static EnrichedSignal FullEnriched => new()
    {
        Signal = FullSignal,
        Profile = new ProfileContext
        {
            ImageName = "registry.local/nginx",
            ImageTag = "1.27.3",
            Status = ProfileStatus.Stable,
            SnapshotCount = 200,
            ProfileCommonality = 0.9,
            LastUpdatedUs = T0,
            BehaviourInProfile = true,
            NodeId = HighBitNodeId,
            NodeCommonality = 0.95,
            NodeContainerCommonality = 0.5,
            NodeFirstSeenUs = T0 - 1,
            NodeLastSeenUs = T0 + 1,
            ProfileLink = "/profiles/registry.local%2Fnginx/1.27.3",
            Threshold = 0.8,
        },
        Suggestion = new SuppressionSuggestion
        {
            RuleId = "WP-0001",
            ImageName = "registry.local/nginx",
            NodeId = HighBitNodeId,
            Expression = "container.image.name == \"registry.local/nginx\" && behaviour.node_id == \"fedcba9876543210\"",
            Description = "/usr/sbin/nginx › /bin/sh -c * › open " + EscapedPath,
            Evidence = new SuggestionEvidence(0.95, 0.5, 200, T0 - 1, T0 + 1, 0.85),
            Signatures = ["-g 'daemon off;'", "-c 'logrotate /etc/*'"],
        },
        NoSuggestionReason = "unused when there is a suggestion, kept anyway",
        EnrichedAtUs = T0 + 2,
    };

    public static EnrichedSignal MinimalEnriched => new() { Signal = MinimalSignal };

    public static EnrichedSignal ProfileWithoutNode => new()
    {
        Signal = MinimalSignal,
        Profile = new ProfileContext { ImageName = "i", ImageTag = "t", ProfileLink = "/profiles/i/t" },
        NoSuggestionReason = "node-unseen",
    };

    public static Suppression FullSuppression => new()
    {
        Id = Suppression.MakeId("WP-0001", "registry.local/nginx", HighBitNodeId),
        RuleId = "WP-0001",
        ImageName = "registry.local/nginx",
        NodeId = HighBitNodeId,
        Expression = "container.image.name == \"registry.local/nginx\"",
        Description = "d",
        CreatedBy = "alice",
        CreatedAtUs = T0,
        Removed = true,
        RemovedBy = "bob",
        RemovedAtUs = T0 + 1,
        FromSignalId = "sig-1",
        Signatures = ["", EscapedPath],
    };

    public static Suppression MinimalSuppression => new() { Id = "i", RuleId = "r", ImageName = "n", NodeId = 0, Expression = "" };

    public static ContainerInfo FullContainerInfo => new()
    {
        Container = Container,
        Name = "web-1",
        HostName = "node-1",
        State = ContainerState.Exited,
        Profiled = true,
        StartedAtUs = T0,
        ProfilingSinceUs = T0 + 1,
        ExitedAtUs = T0 + 2,
        UpdatedAtUs = T0 + 3,
        CgroupId = ulong.MaxValue - 1,
    };

    public static ContainerInfo MinimalContainerInfo => new() { Container = UnresolvedContainer, HostName = "h" };

    public static DeadLetter FullDeadLetter => new()
    {
        SourceTopic = Topics.EventsRaw,
        Partition = 7,
        Offset = 123_456_789_012,
        Key = [0x00, 0xFF, 0x80],
        Value = [0xC3, 0x01, 0xDE, 0xAD],
        Reason = ContractErrorReasons.UnknownSchema,
        Detail = "Unknown writer schema fingerprint 0xdeadbeefdeadbeef",
        Consumer = "snapshot-job",
        TimestampUs = T0,
        KeySize = 3,
        ValueSize = 40_000,
        ValueSha256 = new string('a', 64),
    };

    public static DeadLetter MinimalDeadLetter => new() { SourceTopic = "t", Reason = "r", Consumer = "c", TimestampUs = 0, Key = [], Value = null };

    /// <summary>Every contract, fully populated and minimal, by name.</summary>
    public static IReadOnlyDictionary<string, (IAvroContract Contract, object Value)> Cases { get; } =
        new Dictionary<string, (IAvroContract, object)>
        {
            ["RawEvent/full"] = (AvroContracts.RawEvent, FullEvent),
            ["RawEvent/minimal"] = (AvroContracts.RawEvent, MinimalEvent),
            ["RawEventBatch/full"] = (AvroContracts.RawEventBatch, FullBatch),
            ["RawEventBatch/minimal"] = (AvroContracts.RawEventBatch, MinimalBatch),
            ["ActivitySnapshot/full"] = (AvroContracts.ActivitySnapshot, FullSnapshot),
            ["ActivitySnapshot/minimal"] = (AvroContracts.ActivitySnapshot, MinimalSnapshot),
            ["SecurityProfile/full"] = (AvroContracts.SecurityProfile, FullProfile),
            ["SecurityProfile/minimal"] = (AvroContracts.SecurityProfile, MinimalProfile),
            ["SecuritySignal/full"] = (AvroContracts.SecuritySignal, FullSignal),
            ["SecuritySignal/minimal"] = (AvroContracts.SecuritySignal, MinimalSignal),
            ["EnrichedSignal/full"] = (AvroContracts.EnrichedSignal, FullEnriched),
            ["EnrichedSignal/minimal"] = (AvroContracts.EnrichedSignal, MinimalEnriched),
            ["EnrichedSignal/profile-without-node"] = (AvroContracts.EnrichedSignal, ProfileWithoutNode),
            ["Suppression/full"] = (AvroContracts.Suppression, FullSuppression),
            ["Suppression/minimal"] = (AvroContracts.Suppression, MinimalSuppression),
            ["ContainerInfo/full"] = (AvroContracts.ContainerInfo, FullContainerInfo),
            ["ContainerInfo/minimal"] = (AvroContracts.ContainerInfo, MinimalContainerInfo),
            ["DeadLetter/full"] = (AvroContracts.DeadLetter, FullDeadLetter),
            ["DeadLetter/minimal"] = (AvroContracts.DeadLetter, MinimalDeadLetter),
        };
}
