using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.Local;

/// <summary>How the agent is fed in a local run.</summary>
public enum AgentSource
{
    /// <summary>Live eBPF capture when root, kernel BTF and podman are available, otherwise replay.</summary>
    Auto,
    /// <summary>Live eBPF capture of the demo workload in podman containers (fails when the machine cannot).</summary>
    Live,
    /// <summary>Replay of a recording (<see cref="LocalRunOptions.Recording"/>, or the generated demo recording).</summary>
    Replay,
}

/// <summary>
/// Configuration section <c>Local</c> of <c>wp-local</c> (environment variables <c>WP_Local__*</c>). The other sections
/// (<c>Kafka</c>, <c>ClickHouse</c>, <c>Streams</c>, <c>Profiles</c>, <c>Http</c>, <c>Explorer</c>, <c>Sink</c>,
/// <c>Agent</c>, …) reach the components unchanged. The run sets only what it owns — the broker address (its embedded
/// broker on <see cref="BrokerPort"/>) and <c>Streams:TimeScale</c> (from <see cref="TimeScale"/>) — and, where the
/// configuration leaves them unset, demo defaults (state directory, Stable threshold, a random explorer token).
/// </summary>
public sealed class LocalRunOptions
{
    public const string Section = "Local";

    /// <summary>Loopback port of the in-process broker; child processes connect to it.</summary>
    public int BrokerPort { get; set; } = 9092;

    /// <summary>Loopback port of the broker's topic-creation control channel (0 = <see cref="BrokerPort"/> + 1000).</summary>
    public int BrokerControlPort { get; set; }

    /// <summary>
    /// Divides every stream-job duration (30 min windows, grace, 48 h Stable rule) and the agent's session length:
    /// 60 turns 30-minute windows into 30 s. The product defaults stay as they are.
    /// </summary>
    public double TimeScale { get; set; } = 60;

    /// <summary>
    /// Snapshots after which a profile turns Stable in this run, unless <c>Profiles:StableSnapshotCount</c> is configured.
    /// Lower than the product's 200 so a few-minute demo reaches Stable and shows suppression suggestions.
    /// </summary>
    public int StableSnapshotCount { get; set; } = 6;

    public AgentSource Agent { get; set; } = AgentSource.Auto;

    /// <summary>Recording to replay; empty = <c>agent/recordings/demo.avro</c> if present, else a generated demo recording.</summary>
    public string Recording { get; set; } = "";

    /// <summary>Tag of the live demo image <c>localhost/wp-demo</c> (its profile key is <c>localhost/wp-demo@tag</c>).</summary>
    public string DemoImageTag { get; set; } = "1.0";

    /// <summary>
    /// Tag of the previous version of the demo image, of which one container runs the older loop (live and replayed),
    /// so two versions can be compared; empty = none.
    /// </summary>
    public string DemoPreviousImageTag { get; set; } = DemoRecording.PreviousImageTag;

    /// <summary>Live demo containers of that image.</summary>
    public int DemoContainers { get; set; } = 2;

    /// <summary>Windows of activity in the generated demo recording.</summary>
    public int DemoWindows { get; set; } = 8;

    /// <summary>Drop and re-create the ClickHouse database at start: the broker is new, so old rows would mix with new ones.</summary>
    public bool ResetWarehouse { get; set; } = true;

    /// <summary>Start local ClickHouse with local/clickhouse/clickhouse.sh (installing Debian's clickhouse-server if missing).</summary>
    public bool StartClickHouse { get; set; } = true;

    /// <summary>Longest wait for the first profile before the summary reports a failure.</summary>
    public TimeSpan SummaryTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Where state, logs and generated files go; empty = <c>&lt;repo&gt;/.local</c>.</summary>
    public string WorkDirectory { get; set; } = "";

    public int EffectiveBrokerControlPort => BrokerControlPort != 0 ? BrokerControlPort : BrokerPort + BrokerControlProtocol.DefaultPortOffset;

    public TimeSpan Scaled(TimeSpan duration) => duration / TimeScale;

    public void Validate()
    {
        if (BrokerPort is < 1 or > 65535) throw new ArgumentException($"Local:BrokerPort must be a port number, got {BrokerPort}.");
        if (EffectiveBrokerControlPort is < 1 or > 65535 || EffectiveBrokerControlPort == BrokerPort)
            throw new ArgumentException($"Local:BrokerControlPort must be a port number other than Local:BrokerPort, got {EffectiveBrokerControlPort}.");
        if (!(TimeScale >= 1)) throw new ArgumentException($"Local:TimeScale (--time-scale) must be at least 1, got {TimeScale}.");
        if (StableSnapshotCount < 1) throw new ArgumentException("Local:StableSnapshotCount must be at least 1.");
        if (DemoContainers < 1) throw new ArgumentException("Local:DemoContainers must be at least 1.");
        if (string.IsNullOrWhiteSpace(DemoImageTag)) throw new ArgumentException("Local:DemoImageTag is empty.");
        if (DemoWindows < 2) throw new ArgumentException("Local:DemoWindows must be at least 2.");
        if (SummaryTimeout <= TimeSpan.Zero) throw new ArgumentException("Local:SummaryTimeout must be positive.");
        if (!string.IsNullOrEmpty(Recording) && !File.Exists(Path.GetFullPath(Recording, RepositoryLayout.Root)))
            throw new ArgumentException($"Local:Recording (--recording) {Path.GetFullPath(Recording, RepositoryLayout.Root)} does not exist.");
    }
}
