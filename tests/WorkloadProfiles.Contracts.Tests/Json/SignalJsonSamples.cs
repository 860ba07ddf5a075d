using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Contracts.Tests.Json;

/// <summary>
/// Enriched signals as the pipeline produces them for the demo image: a rule signal with a suggestion, a rule signal about
/// a connection, a drift signal (<c>wp.drift.*</c>) and a Falco-bridged signal without a profile. Together they use every
/// field of the ECS shape except the hooks for metadata signals do not carry yet.
/// </summary>
internal static class SignalJsonSamples
{
    const long T0 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z in µs
    const string Image = "localhost/wp-demo";
    const string Tag = "1.0";
    const string ContainerId = "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a";
    const string Loop = "while true; do cat /etc/app.conf >/dev/null; sh -c 'read line < /etc/motd'; sleep 2; done";
    static readonly ContainerRef Demo = new(ContainerId, Image, Tag);

    /// <summary>The demo container as a Kubernetes node's agent sees it: in pod shop/web-7c9d-x2k4q of Deployment web.</summary>
    static readonly ContainerRef DemoInPod = Demo with
    {
        Kubernetes = new KubernetesMeta { Namespace = "shop", PodName = "web-7c9d-x2k4q", ContainerName = "web", WorkloadKind = "Deployment", WorkloadName = "web" },
    };
    static readonly ProcessRef Entrypoint = new("/bin/busybox", ["/bin/sh", "-c", Loop]) { Pid = 4101, StartUs = T0 - 60_000_000 };

    static ProfileContext Stable(ulong? node, double? commonality, bool inProfile) => new()
    {
        ImageName = Image,
        ImageTag = Tag,
        Status = ProfileStatus.Stable,
        SnapshotCount = 6,
        ProfileCommonality = 0.875,
        LastUpdatedUs = T0 - 1_000_000,
        BehaviourInProfile = inProfile,
        NodeId = node,
        NodeCommonality = commonality,
        NodeContainerCommonality = commonality,
        NodeFirstSeenUs = inProfile ? T0 - 50_000_000 : null,
        NodeLastSeenUs = inProfile ? T0 - 2_000_000 : null,
        ProfileLink = "/profiles/localhost%2Fwp-demo/1.0",
    };

    /// <summary>The health check's shell: a benign hit of wp.shell-in-container the Stable profile knows well.</summary>
    public static EnrichedSignal RuleExec
    {
        get
        {
            var shell = new ProcessRef("/bin/busybox", ["sh", "-c", "read line < /etc/motd"]) { Pid = 4187, StartUs = T0 - 3 };
            var node = 0x0123_4567_89ab_cdefUL;
            return new EnrichedSignal
            {
                Signal = new SecuritySignal
                {
                    SignalId = "5c7d0f1e2a3b4c5d6e7f8091a2b3c4d5",
                    RuleId = "wp.shell-in-container",
                    RuleName = "Shell spawned in a container",
                    RuleDescription = "A shell was executed inside a container.",
                    Severity = Severity.Low,
                    TimestampUs = T0,
                    Source = "rules",
                    Container = Demo,
                    HostName = "demo-host",
                    Message = "Shell spawned in a container: exec `sh -c read line < /etc/motd` (/bin/busybox, pid 4187, parent `/bin/sh -c while true; …`)",
                    Tags = ["container", "shell", "mitre_execution", "T1059.004"],
                    Process = new ActingProcess
                    {
                        ExecutablePath = "/bin/busybox",
                        Args = ["sh", "-c", "read line < /etc/motd"],
                        Name = "sh",
                        Pid = 4187,
                        Tid = 4187,
                        Ppid = 4101,
                        Uid = 0,
                        Gid = 0,
                        WorkingDirectory = "/",
                        StartUs = T0 - 3,
                    },
                    Behaviour = new Behaviour { Kind = NodeKind.Process, Ancestry = [Entrypoint, shell] },
                },
                Profile = Stable(node, 1.0, inProfile: true),
                Suggestion = new SuppressionSuggestion
                {
                    RuleId = "wp.shell-in-container",
                    ImageName = Image,
                    NodeId = node,
                    Expression = $"container.image.name == \"{Image}\" && behaviour.node_id == \"{NodeIdentity.Format(node)}\"",
                    Description = "/bin/busybox sh -c * › /bin/busybox sh -c *",
                    Evidence = new SuggestionEvidence(1.0, 1.0, 6, T0 - 50_000_000, T0 - 2_000_000),
                },
                EnrichedAtUs = T0 + 41_000,
            };
        }
    }

    /// <summary>A forked child of the loop (not exec'd: it runs the loop's image) probing port 3333: wp.mining-port.</summary>
    public static EnrichedSignal RuleConnect => new()
    {
        Signal = new SecuritySignal
        {
            SignalId = "9a8b7c6d5e4f30211203f4e5d6c7b8a9",
            RuleId = "wp.mining-port",
            RuleName = "Connection to a crypto-mining pool port",
            RuleDescription = "An outbound connection to a port commonly used by Stratum mining pools.",
            Severity = Severity.High,
            TimestampUs = T0 + 5_000_000,
            Source = "rules",
            Container = DemoInPod,
            HostName = "demo-host",
            Message = "Connection to a crypto-mining pool port: `nc 127.0.0.1 3333` (/bin/busybox, pid 4190) connected to tcp 127.0.0.1:3333",
            Tags = ["container", "network", "cryptomining", "mitre_impact", "T1496"],
            Process = new ActingProcess
            {
                ExecutablePath = "/bin/busybox",
                Args = ["nc", "127.0.0.1", "3333"],
                Name = "nc",
                Pid = 4190,
                Tid = 4190,
                Ppid = 4101,
                Uid = 1000,
                Gid = 1000,
                WorkingDirectory = "/srv",
                StartUs = T0 + 4_999_000,
            },
            Behaviour = new Behaviour
            {
                Kind = NodeKind.Network,
                Ancestry = [Entrypoint, new ProcessRef("/bin/busybox", ["nc", "127.0.0.1", "3333"]) { Pid = 4190, StartUs = T0 + 4_999_000 }],
                Transport = NetworkTransport.Tcp,
                DestinationAddress = "127.0.0.1",
                DestinationPort = 3333,
            },
        },
        Profile = Stable(0x00fe_dcba_9876_5432UL, 0.5, inProfile: true),
        NoSuggestionReason = "node commonality 0.50 is below 0.80",
        EnrichedAtUs = T0 + 5_030_000,
    };

    /// <summary>A DNS question the Stable profile never saw: a drift signal, never suggested.</summary>
    public static EnrichedSignal DriftDns => new()
    {
        Signal = new SecuritySignal
        {
            SignalId = "d41d8cd98f00b204e9800998ecf8427e",
            RuleId = "wp.drift.dns",
            RuleName = "Drift: DNS question not in the profile",
            RuleDescription = "The image's Stable profile has no such DNS question under this process.",
            Severity = Severity.Medium,
            TimestampUs = T0 + 9_000_000,
            Source = "drift",
            Container = Demo,
            HostName = "demo-host",
            Message = "Drift: `nslookup pool.evil.xyz 127.0.0.1` (/bin/busybox, pid 4201) resolved pool.evil.xyz",
            Tags = ["container", "drift", "dns", "mitre_command_and_control", "T1071.004"],
            Process = new ActingProcess
            {
                ExecutablePath = "/bin/busybox",
                Args = ["nslookup", "pool.evil.xyz", "127.0.0.1"],
                Name = "nslookup",
                Pid = 4201,
                Ppid = 4101,
                StartUs = T0 + 8_999_000,
            },
            Behaviour = new Behaviour
            {
                Kind = NodeKind.Dns,
                Ancestry = [Entrypoint, new ProcessRef("/bin/busybox", ["nslookup", "pool.evil.xyz", "127.0.0.1"]) { Pid = 4201 }],
                DnsQuestionName = "pool.evil.xyz",
                Transport = NetworkTransport.Udp,
                DestinationAddress = "127.0.0.1",
                DestinationPort = 53,
            },
        },
        Profile = Stable(node: null, commonality: null, inProfile: false),
        NoSuggestionReason = "drift signals are never suggested: the behaviour is not in the profile",
        EnrichedAtUs = T0 + 9_020_000,
    };

    /// <summary>A Falco alert (bridged) about a credential file, for a container whose image has no profile yet.</summary>
    public static EnrichedSignal FalcoFile => new()
    {
        Signal = new SecuritySignal
        {
            SignalId = "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            RuleId = "falco.read-sensitive-file-untrusted",
            RuleName = "Read sensitive file untrusted",
            Severity = Severity.Medium,
            TimestampUs = T0 + 12_000_000,
            Source = "falco",
            Container = new ContainerRef("b3a1c2d4e5f6", "docker.io/library/redis", "7.2"),
            HostName = "node-7",
            Message = "Sensitive file opened for reading by non-trusted program (file=/etc/shadow command=cat /etc/shadow)",
            Tags = ["container", "filesystem", "mitre_credential_access", "T1555"],
            Process = new ActingProcess
            {
                ExecutablePath = "/usr/bin/cat",
                Args = ["cat", "/etc/shadow"],
                Name = "cat",
                Pid = 31337,
                Ppid = 31300,
                WorkingDirectory = "/data",
            },
            Behaviour = new Behaviour
            {
                Kind = NodeKind.File,
                Ancestry = [new ProcessRef("/bin/bash", ["bash", "-i"]), new ProcessRef("/usr/bin/cat", ["cat", "/etc/shadow"])],
                FilePath = "/etc/shadow",
                Access = FileAccessMode.Read,
            },
        },
        NoSuggestionReason = "no profile for docker.io/library/redis@7.2",
        EnrichedAtUs = T0 + 12_050_000,
    };

    public static IReadOnlyDictionary<string, EnrichedSignal> All { get; } = new Dictionary<string, EnrichedSignal>
    {
        ["rule-exec"] = RuleExec,
        ["rule-connect"] = RuleConnect,
        ["drift-dns"] = DriftDns,
        ["falco-file"] = FalcoFile,
    };
}
