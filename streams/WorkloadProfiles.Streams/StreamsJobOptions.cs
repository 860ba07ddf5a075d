using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams;

/// <summary>The stream jobs a host can run; <see cref="All"/> by default.</summary>
[Flags]
public enum StreamJobs
{
    None = 0,
    /// <summary>wp.events.raw → wp.snapshots.</summary>
    Snapshots = 1,
    /// <summary>wp.snapshots → wp.profiles.</summary>
    Profiles = 2,
    /// <summary>wp.events.raw and the Falco topic → wp.signals, with wp.suppressions.</summary>
    Detection = 4,
    /// <summary>wp.signals ⨝ wp.profiles → wp.signals.enriched (and its JSON copy).</summary>
    Enrichment = 8,
    All = Snapshots | Profiles | Detection | Enrichment,
}

/// <summary>Snapshot windowing (DESIGN "Data flow": one snapshot per container per window).</summary>
public sealed record SnapshotJobOptions
{
    /// <summary>Event-time tumbling window length (default 30 min).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long after a window's end (in stream time) late events are still accepted.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long (wall clock) batches of a container with no resolved image wait before being dead-lettered.</summary>
    public TimeSpan ImageHold { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A container that sent nothing for this long (wall clock) has its open windows closed, so a quiet partition does not
    /// hold snapshots back forever. Default: window + grace, i.e. no earlier than stream time would for a live agent.
    /// </summary>
    public TimeSpan? IdleClose { get; init; }

    /// <summary>Wall-clock punctuation interval (held-batch expiry, idle close).</summary>
    public TimeSpan PunctuationInterval { get; init; } = TimeSpan.FromSeconds(5);

    public SnapshotLimits Limits { get; init; } = SnapshotLimits.Default;

    /// <summary>
    /// Process nodes one container's lineage may hold: beyond it the container's open windows are closed and its process
    /// table is compacted to what its live processes act as (or reset when even that is too large), so a container that
    /// execs endless distinct programs cannot grow the job's memory or its changelog records without bound.
    /// </summary>
    public int MaxProcessNodes { get; init; } = 16_384;

    internal TimeSpan EffectiveIdleClose => IdleClose ?? Window + Grace;
}

/// <summary>Profile aggregation.</summary>
public sealed record ProfileJobOptions
{
    public ProfilePolicy Policy { get; init; } = ProfilePolicy.Default;

    /// <summary>How often the wall-clock punctuator applies the time rule (Learning → Stable after 48 h).</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>Signal enrichment.</summary>
public sealed record EnrichmentOptions
{
    public SuggestionPolicy Policy { get; init; } = SuggestionPolicy.Default;

    /// <summary>The JSON copy of every enriched signal for SOC tools (on by default: ECS on <c>wp.signals.enriched.json</c>).</summary>
    public global::WorkloadProfiles.Contracts.Json.SignalJsonOptions Json { get; init; } = global::WorkloadProfiles.Contracts.Json.SignalJsonOptions.Default;
}

/// <summary>Detection: the rules engine and the Falco bridge.</summary>
public sealed record DetectionJobOptions
{
    /// <summary>The rules engine's own options (rules file, lineage bounds).</summary>
    public global::WorkloadProfiles.Detection.DetectionOptions Engine { get; init; } = global::WorkloadProfiles.Detection.DetectionOptions.Default;

    /// <summary>Topic falcosidekick writes Falco alerts to (raw JSON).</summary>
    public string FalcoTopic { get; init; } = "wp.falco";
}

/// <summary>Drift signals (DESIGN "Drift"): raised by the snapshot job, which holds every container's lineage.</summary>
public sealed record DriftOptions
{
    /// <summary>Raise drift signals (needs the snapshots job; the <c>wp.profiles</c> topic is read as a global table).</summary>
    public bool Enabled { get; init; } = true;

    public DriftPolicy Policy { get; init; } = DriftPolicy.Default;
}

/// <summary>Everything the topologies need besides Kafka connection settings.</summary>
public sealed record StreamsJobOptions
{
    public StreamJobs Jobs { get; init; } = StreamJobs.All;
    public SnapshotJobOptions Snapshots { get; init; } = new();
    public ProfileJobOptions Profiles { get; init; } = new();
    public EnrichmentOptions Enrichment { get; init; } = new();
    public DetectionJobOptions Detection { get; init; } = new();

    /// <summary>Sizes of what the jobs read and write, dead letters included.</summary>
    public RecordLimits Records { get; init; } = RecordLimits.Default;

    /// <summary>Which event times the jobs believe.</summary>
    public EventTimeLimits EventTime { get; init; } = EventTimeLimits.Default;
    public DriftOptions Drift { get; init; } = new();
}
