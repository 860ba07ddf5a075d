using Prometheus;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// The stream jobs' Prometheus metrics. One instance per pipeline; tests give each pipeline its own registry so the
/// counters they read belong to that run alone.
/// </summary>
public sealed class StreamsMetrics
{
    public StreamsMetrics(CollectorRegistry? registry = null)
    {
        var factory = Metrics.WithCustomRegistry(registry ?? Metrics.DefaultRegistry);
        RecordsIn = factory.CreateCounter("wp_streams_records_in_total", "Records consumed by a job.", "job");
        RecordsOut = factory.CreateCounter("wp_streams_records_out_total", "Records produced by a job, per topic.", "job", "topic");
        EventsIn = factory.CreateCounter("wp_streams_events_in_total", "Raw events inside the consumed batches.", "job");
        DeadLetters = factory.CreateCounter("wp_streams_dead_letters_total", "Records sent to the dead-letter topic, per reason.", "job", "reason");
        SkippedRecords = factory.CreateCounter("wp_streams_skipped_records_total",
            "Records a job could not use and could not dead-letter (global-table updates), per reason.", "job", "reason");
        Failures = factory.CreateCounter("wp_streams_failures_total",
            "Records (dead-lettered as processing-failed) and punctuations whose processing threw, per job and stage.", "job", "stage");
        ProcessTableTrims = factory.CreateCounter("wp_streams_process_table_trims_total",
            "Snapshot job: container process tables over Streams:MaxProcessNodes, by outcome (compacted: nodes no live process acts as were forgotten; reset: the lineage was dropped).", "outcome");
        ProfileDroppedNodes = factory.CreateCounter("wp_streams_profile_dropped_nodes_total",
            "Profile job: new nodes a profile could not take because it reached its byte bound.");
        WindowCloses = factory.CreateCounter("wp_streams_window_closes_total",
            "Snapshot windows closed, by cause (stream-time, container-exit, idle).", "cause");
        LateEvents = factory.CreateCounter("wp_streams_late_events_total", "Events that arrived after their window had closed.");
        ReplayedBatches = factory.CreateCounter("wp_streams_replayed_batches_total",
            "Raw batches skipped because their effect was already in the restored state (redelivery after a restart).");
        OutboxResent = factory.CreateCounter("wp_streams_outbox_resent_total",
            "Outputs sent again after a restart because the restored store still held them undelivered-for-sure (downstream collapses repeats), per job.", "job");
        OutboxPending = factory.CreateGauge("wp_streams_outbox_pending", "Outputs kept in the store until a commit has delivered them, per job.", "job");
        ConsumerLag = factory.CreateGauge("wp_streams_consumer_lag",
            "Records in a source partition not yet committed by the application (high watermark minus committed offset).", "topic", "partition");
        DetectionOnlyBatches = factory.CreateCounter("wp_streams_detection_only_batches_total",
            "Raw batches of containers without a profiling slot: the snapshot job applies only their process lineage.");
        HeldBatches = factory.CreateGauge("wp_streams_held_batches", "Raw batches waiting for their container's image to resolve.");
        Punctuations = factory.CreateCounter("wp_streams_punctuations_total", "Punctuator runs, per job.", "job");
        ProfileMerges = factory.CreateCounter("wp_streams_profile_merges_total", "Snapshots offered to a profile, by outcome.", "outcome");
        ProfilesStabilised = factory.CreateCounter("wp_streams_profiles_stabilised_total",
            "Profiles that turned Stable, by rule (snapshot-count: the snapshot threshold; time: the time since the first snapshot).", "rule");
        Signals = factory.CreateCounter("wp_streams_signals_total", "Signals produced, by source (rules, falco).", "source");
        FalcoContainers = factory.CreateCounter("wp_streams_falco_containers_total",
            "Falco alerts by how their container was named: mapped through the agents' inventory, or unknown to it (the alert's own id and image).", "source");
        SuppressedSignals = factory.CreateCounter("wp_streams_suppressed_signals_total", "Signals a suppression stopped.");
        Drift = factory.CreateCounter("wp_streams_drift_total",
            "Drift findings of the snapshot job, by outcome: reported, overflow (the cap signal), duplicate (already reported in the window), over-cap, suppressed, unresolved-lineage (events of processes whose exec was never seen, not judged).",
            "outcome");
        DriftBaselines = factory.CreateGauge("wp_streams_drift_baselines", "Profiles held as drift baselines (Stable, or Learning past Drift:MinLearningSnapshots).");
        DriftBaselineBytes = factory.CreateGauge("wp_streams_drift_baseline_bytes", "Memory held by the drift baselines.");
        Enriched = factory.CreateCounter("wp_streams_enriched_signals_total",
            "Signals enriched, by whether a profile was found and a suppression suggested.", "profile", "suggestion");
    }

    public Counter RecordsIn { get; }
    public Counter RecordsOut { get; }
    public Counter EventsIn { get; }
    public Counter DeadLetters { get; }
    public Counter SkippedRecords { get; }
    public Counter Failures { get; }
    public Counter ProcessTableTrims { get; }
    public Counter ProfileDroppedNodes { get; }
    public Counter WindowCloses { get; }
    public Counter LateEvents { get; }
    public Counter ReplayedBatches { get; }
    public Counter OutboxResent { get; }
    public Gauge OutboxPending { get; }
    public Gauge ConsumerLag { get; }
    public Counter DetectionOnlyBatches { get; }
    public Gauge HeldBatches { get; }
    public Counter Punctuations { get; }
    public Counter ProfileMerges { get; }
    public Counter ProfilesStabilised { get; }
    public Counter Signals { get; }
    public Counter FalcoContainers { get; }
    public Counter SuppressedSignals { get; }
    public Counter Enriched { get; }
    public Counter Drift { get; }
    public Gauge DriftBaselines { get; }
    public Gauge DriftBaselineBytes { get; }
}
