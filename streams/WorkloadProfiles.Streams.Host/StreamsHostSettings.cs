using Confluent.Kafka;
using Microsoft.Extensions.Configuration;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Contracts.Json;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Host;

/// <summary>
/// The host's configuration (file from <c>--config</c>/<c>WP_CONFIG</c>, default <c>./workloadprofiles.json</c>; environment
/// variables <c>WP_&lt;Section&gt;__&lt;Key&gt;</c>; command-line <c>--Section:Key=value</c>). Every option has a default.
/// </summary>
internal sealed record StreamsHostSettings
{
    // Kafka
    public string BootstrapServers { get; init; } = "127.0.0.1:9092";
    /// <summary>Control port of the local broker command; 0 = a real Kafka (internal topics via CreateTopics).</summary>
    public int LocalBrokerControlPort { get; init; }
    /// <summary>The largest record written (Kafka:MaxMessageBytes); snapshots and profiles stay below it.</summary>
    public int MaxMessageBytes { get; init; } = KafkaOptions.DefaultMaxMessageBytes;
    /// <summary>The largest dead letter (DeadLetter:MaxBytes).</summary>
    public int DeadLetterMaxBytes { get; init; } = DeadLetterBound.DefaultMaxBytes;
    /// <summary>Avro:MaxRecordBytes: what the codecs refuse to write; snapshots and profiles stay below it too.</summary>
    public int MaxRecordBytes { get; init; } = AvroCodecOptions.DefaultMaxRecordBytes;
    /// <summary>How long start-up waits for the brokers to answer before exiting 3.</summary>
    public double StartupTimeoutSeconds { get; init; } = WorkloadProfiles.Kafka.BrokerReachability.DefaultTimeoutSeconds;

    // Streams
    public string ApplicationId { get; init; } = "wp-streams";
    public string StateDir { get; init; } = Path.Combine(Path.GetTempPath(), "wp-streams-state");
    public StreamJobs Jobs { get; init; } = StreamJobs.All;
    public int Threads { get; init; } = 1;
    public int CommitIntervalMs { get; init; } = 1000;
    /// <summary>
    /// How long Streamiz gathers records in one poll before processing them (it polls until this passes or
    /// max.poll.records arrive): a floor on every hop's latency when input trickles in. Streamiz' default is 100.
    /// </summary>
    public int PollMs { get; init; } = 10;
    /// <summary>
    /// How long a task with two inputs (enrichment: signals and profiles) holds records of one while the other has none
    /// buffered. Above 0 it delays every signal by that much whenever no profile update is pending, i.e. nearly always.
    /// </summary>
    public long MaxTaskIdleMs { get; init; }
    /// <summary>
    /// Compression of every record the jobs write: outputs and the state stores' changelogs. The snapshot job journals
    /// each raw batch of an open window to its changelog, so the changelog carries as many bytes as the input; lz4 costs
    /// the job a little CPU and saves the broker more, in bytes to write and replicate (BENCH.md).
    /// </summary>
    public CompressionType Compression { get; init; } = CompressionType.Lz4;
    public double WindowMinutes { get; init; } = 30;
    public double GraceSeconds { get; init; } = 120;
    public double ImageHoldSeconds { get; init; } = 60;
    public double? IdleCloseSeconds { get; init; }
    public double PunctuateSeconds { get; init; } = 5;
    /// <summary>How often the consumer lag gauge is measured.</summary>
    public double LagIntervalSeconds { get; init; } = 15;
    /// <summary>Divides every duration (window, grace, hold, idle, stable-after): 60 turns 30 min windows into 30 s for demos.</summary>
    public double TimeScale { get; init; } = 1;
    /// <summary>How far an event time may be ahead of its record's timestamp and the job's clock.</summary>
    public double MaxClockSkewSeconds { get; init; } = 300;
    /// <summary>How far an agent's event time may be behind its record's timestamp (0 = unchecked).</summary>
    public double MaxEventDelaySeconds { get; init; } = 86_400;
    /// <summary>Process nodes a container's lineage may hold in the snapshot job before it is compacted (or reset).</summary>
    public int MaxProcessNodes { get; init; } = 16_384;

    // Profiles
    public int StableSnapshotCount { get; init; } = 200;
    public double StableAfterHours { get; init; } = 48;
    public double TickSeconds { get; init; } = 60;

    // Suggestions
    public double MinNodeCommonality { get; init; } = 0.8;
    public int MinLearningSnapshots { get; init; } = 50;

    // Enrichment: the JSON copy of the enriched signals
    public string JsonTopic { get; init; } = Contracts.Topics.SignalsEnrichedJson;
    public SignalJsonFormat JsonFormat { get; init; } = SignalJsonFormat.Ecs;
    public string ExplorerUrl { get; init; } = "";

    // Detection
    public string? RulesPath { get; init; }
    public string FalcoTopic { get; init; } = "wp.falco";

    // Drift
    public bool DriftEnabled { get; init; } = true;
    public DriftKinds DriftKinds { get; init; } = DriftKinds.Default;
    public IReadOnlyList<DriftImageRule> DriftImages { get; init; } = [];
    public int DriftMinLearningSnapshots { get; init; }
    public int DriftMaxSignalsPerWindow { get; init; } = DriftPolicy.Default.MaxSignalsPerWindow;
    /// <summary>How long the host waits for the drift baselines to load from <c>wp.profiles</c> before it gives up (exit 1).</summary>
    public double DriftLoadTimeoutSeconds { get; init; } = 120;

    // Http
    public string HttpAddress { get; init; } = "127.0.0.1";
    public int HttpPort { get; init; } = 9464;

    public static StreamsHostSettings From(IConfiguration c)
    {
        var d = new StreamsHostSettings();
        var settings = new StreamsHostSettings
        {
            BootstrapServers = c["Kafka:BootstrapServers"] ?? d.BootstrapServers,
            LocalBrokerControlPort = c.GetValue("Kafka:LocalBrokerControlPort", d.LocalBrokerControlPort),
            MaxMessageBytes = c.GetValue("Kafka:MaxMessageBytes", d.MaxMessageBytes),
            DeadLetterMaxBytes = c.GetValue("DeadLetter:MaxBytes", d.DeadLetterMaxBytes),
            MaxRecordBytes = c.GetValue("Avro:MaxRecordBytes", d.MaxRecordBytes),
            StartupTimeoutSeconds = c.GetValue("Kafka:StartupTimeoutSeconds", d.StartupTimeoutSeconds),
            ApplicationId = c["Streams:ApplicationId"] ?? d.ApplicationId,
            StateDir = c["Streams:StateDir"] ?? d.StateDir,
            Jobs = ParseJobs(c["Streams:Jobs"]),
            Threads = c.GetValue("Streams:Threads", d.Threads),
            CommitIntervalMs = c.GetValue("Streams:CommitIntervalMs", d.CommitIntervalMs),
            PollMs = c.GetValue("Streams:PollMs", d.PollMs),
            MaxTaskIdleMs = c.GetValue("Streams:MaxTaskIdleMs", d.MaxTaskIdleMs),
            Compression = ParseCompression(c["Streams:Compression"], d.Compression),
            WindowMinutes = c.GetValue("Streams:WindowMinutes", d.WindowMinutes),
            GraceSeconds = c.GetValue("Streams:GraceSeconds", d.GraceSeconds),
            ImageHoldSeconds = c.GetValue("Streams:ImageHoldSeconds", d.ImageHoldSeconds),
            IdleCloseSeconds = c.GetValue<double?>("Streams:IdleCloseSeconds"),
            PunctuateSeconds = c.GetValue("Streams:PunctuateSeconds", d.PunctuateSeconds),
            LagIntervalSeconds = c.GetValue("Streams:LagIntervalSeconds", d.LagIntervalSeconds),
            TimeScale = c.GetValue("Streams:TimeScale", d.TimeScale),
            MaxClockSkewSeconds = c.GetValue("Streams:MaxClockSkewSeconds", d.MaxClockSkewSeconds),
            MaxEventDelaySeconds = c.GetValue("Streams:MaxEventDelaySeconds", d.MaxEventDelaySeconds),
            MaxProcessNodes = c.GetValue("Streams:MaxProcessNodes", d.MaxProcessNodes),
            StableSnapshotCount = c.GetValue("Profiles:StableSnapshotCount", d.StableSnapshotCount),
            StableAfterHours = c.GetValue("Profiles:StableAfterHours", d.StableAfterHours),
            TickSeconds = c.GetValue("Profiles:TickSeconds", d.TickSeconds),
            MinNodeCommonality = c.GetValue("Suggestions:MinNodeCommonality", d.MinNodeCommonality),
            MinLearningSnapshots = c.GetValue("Suggestions:MinLearningSnapshots", d.MinLearningSnapshots),
            JsonTopic = c["Enrichment:JsonTopic"] ?? d.JsonTopic,
            JsonFormat = SignalJsonOptions.ParseFormat(c["Enrichment:JsonFormat"]),
            ExplorerUrl = c["Enrichment:ExplorerUrl"] ?? d.ExplorerUrl,
            RulesPath = c["Detection:RulesPath"],
            FalcoTopic = c["Detection:FalcoTopic"] ?? d.FalcoTopic,
            DriftEnabled = c.GetValue("Drift:Enabled", d.DriftEnabled),
            DriftKinds = c["Drift:Kinds"] is { } kinds ? DriftRules.ParseKinds(kinds) : d.DriftKinds,
            DriftImages = [.. c.GetSection("Drift:Images").GetChildren().Select(DriftImage)],
            DriftMinLearningSnapshots = c.GetValue("Drift:MinLearningSnapshots", d.DriftMinLearningSnapshots),
            DriftMaxSignalsPerWindow = c.GetValue("Drift:MaxSignalsPerWindow", d.DriftMaxSignalsPerWindow),
            DriftLoadTimeoutSeconds = c.GetValue("Drift:LoadTimeoutSeconds", d.DriftLoadTimeoutSeconds),
            HttpAddress = c["Http:Address"] ?? d.HttpAddress,
            HttpPort = c.GetValue("Http:Port", d.HttpPort),
        };
        if (settings.PollMs < 1) throw new ArgumentException($"Streams:PollMs must be at least 1, not {settings.PollMs}.");
        if (settings.MaxTaskIdleMs < 0) throw new ArgumentException($"Streams:MaxTaskIdleMs must not be negative, not {settings.MaxTaskIdleMs}.");
        return settings;
    }

    /// <summary><c>Drift:Images:N:Pattern</c> (a regex over the whole image name) and <c>Drift:Images:N:Kinds</c>.</summary>
    static DriftImageRule DriftImage(IConfigurationSection section) =>
        new(section["Pattern"] ?? throw new ArgumentException($"{section.Path}:Pattern is missing (a regex over the image name)"),
            DriftRules.ParseKinds(section["Kinds"] ?? throw new ArgumentException($"{section.Path}:Kinds is missing (e.g. exec,dns,connect,file-write or none)")));

    /// <summary>Parses <c>none</c>, <c>gzip</c>, <c>snappy</c>, <c>lz4</c> or <c>zstd</c> (any case); unset gives <paramref name="fallback"/>.</summary>
    /// <exception cref="ArgumentException">Another value.</exception>
    public static CompressionType ParseCompression(string? text, CompressionType fallback) =>
        string.IsNullOrWhiteSpace(text) ? fallback
        : char.IsAsciiLetter(text.Trim()[0]) && Enum.TryParse<CompressionType>(text.Trim(), ignoreCase: true, out var compression) ? compression
        : throw new ArgumentException($"Streams:Compression must be none, gzip, snappy, lz4 or zstd, not '{text}'.");

    /// <summary>Comma-separated job names (<c>snapshots,profiles,detection,enrichment</c>) or <c>all</c>.</summary>
    public static StreamJobs ParseJobs(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return StreamJobs.All;
        }

        var jobs = StreamJobs.None;
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            jobs |= Enum.TryParse<StreamJobs>(name, ignoreCase: true, out var job)
                ? job
                : throw new ArgumentException($"Unknown stream job '{name}' in Streams:Jobs (expected all, snapshots, profiles, detection, enrichment).");
        }

        return jobs;
    }

    TimeSpan Scaled(TimeSpan duration)
    {
        if (TimeScale <= 0 || double.IsNaN(TimeScale))
        {
            throw new ArgumentException($"Streams:TimeScale must be positive, not {TimeScale}.");
        }

        return duration / TimeScale;
    }

    /// <summary>The record bounds; throws <see cref="ArgumentException"/> when they contradict each other.</summary>
    public RecordLimits ToRecordLimits()
    {
        var limits = new RecordLimits { MaxMessageBytes = MaxMessageBytes, DeadLetters = DeadLetterBound.Of(DeadLetterMaxBytes) };
        limits.Validate();
        if (DeadLetterMaxBytes > MaxRecordBytes)
        {
            throw new ArgumentException($"DeadLetter:MaxBytes ({DeadLetterMaxBytes}) must not exceed Avro:MaxRecordBytes ({MaxRecordBytes}).");
        }

        return limits;
    }

    /// <summary>Snapshots and profiles must be writable by the codecs and the broker alike.</summary>
    int MaxStateBytes => Math.Min(ToRecordLimits().MaxValueBytes, MaxRecordBytes);

    public StreamsJobOptions ToJobOptions()
    {
        ValidateJsonOutput();
        return BuildJobOptions();
    }

    /// <summary>The JSON copy must not land on a topic something reads as Avro or as Falco alerts (the bridge would loop).</summary>
    void ValidateJsonOutput()
    {
        var topic = JsonTopic.Trim();
        if (topic.Length > 0 && (Contracts.Topics.All.Any(t => t.Name == topic) || topic == FalcoTopic))
        {
            throw new ArgumentException($"Enrichment:JsonTopic '{topic}' is a pipeline topic; choose another (default {Contracts.Topics.SignalsEnrichedJson}) or '' to turn the JSON output off.");
        }

        if (ExplorerUrl.Trim().Length > 0 && !Uri.TryCreate(ExplorerUrl.Trim(), UriKind.Absolute, out _))
        {
            throw new ArgumentException($"Enrichment:ExplorerUrl '{ExplorerUrl}' is not an absolute URL.");
        }
    }

    StreamsJobOptions BuildJobOptions() => new()
    {
        Jobs = Jobs,
        Records = ToRecordLimits(),
        EventTime = new EventTimeLimits
        {
            MaxClockSkew = TimeSpan.FromSeconds(MaxClockSkewSeconds >= 0 ? MaxClockSkewSeconds
                : throw new ArgumentException("Streams:MaxClockSkewSeconds must not be negative.")),
            MaxEventDelay = TimeSpan.FromSeconds(MaxEventDelaySeconds >= 0 ? MaxEventDelaySeconds
                : throw new ArgumentException("Streams:MaxEventDelaySeconds must not be negative.")),
        },
        Snapshots = new SnapshotJobOptions
        {
            Limits = SnapshotLimits.Default with { MaxBytes = MaxStateBytes },
            MaxProcessNodes = MaxProcessNodes > 0 ? MaxProcessNodes : throw new ArgumentException("Streams:MaxProcessNodes must be positive."),
            Window = Scaled(TimeSpan.FromMinutes(WindowMinutes)),
            Grace = Scaled(TimeSpan.FromSeconds(GraceSeconds)),
            ImageHold = Scaled(TimeSpan.FromSeconds(ImageHoldSeconds)),
            IdleClose = IdleCloseSeconds is { } idle ? Scaled(TimeSpan.FromSeconds(idle)) : null,
            PunctuationInterval = TimeSpan.FromSeconds(Math.Max(0.05, PunctuateSeconds)),
        },
        Profiles = new ProfileJobOptions
        {
            Policy = new ProfilePolicy
            {
                StableSnapshotCount = StableSnapshotCount,
                StableAfter = Scaled(TimeSpan.FromHours(StableAfterHours)),
                MaxBytes = MaxStateBytes,
            },
            TickInterval = TimeSpan.FromSeconds(Math.Max(0.05, TickSeconds)),
        },
        Enrichment = new EnrichmentOptions
        {
            Policy = new SuggestionPolicy { MinNodeCommonality = MinNodeCommonality, MinLearningSnapshots = MinLearningSnapshots },
            Json = new SignalJsonOptions { Topic = JsonTopic.Trim(), Format = JsonFormat, ExplorerUrl = ExplorerUrl.Trim() },
        },
        Detection = new DetectionJobOptions
        {
            Engine = global::WorkloadProfiles.Detection.DetectionOptions.Default with { RulesPath = RulesPath },
            FalcoTopic = FalcoTopic,
        },
        Drift = new DriftOptions
        {
            Enabled = DriftEnabled,
            Policy = new DriftPolicy
            {
                Kinds = DriftKinds,
                Images = DriftImages,
                MinLearningSnapshots = DriftMinLearningSnapshots,
                MaxSignalsPerWindow = DriftMaxSignalsPerWindow,
            },
        },
    };
}
