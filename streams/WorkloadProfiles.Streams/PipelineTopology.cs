using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.Stream;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Falco;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Detection;
using WorkloadProfiles.Streams.Drift;
using WorkloadProfiles.Streams.Enrichment;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Streams.Profiles;
using WorkloadProfiles.Streams.Snapshots;

namespace WorkloadProfiles.Streams;

/// <summary>
/// Builds the Streamiz topology of the selected jobs. Every job reads through never-throwing decoding serdes and writes
/// <see cref="Outgoing"/> records through one dynamic-topic sink (<see cref="JobOutput"/>, which bounds every record), so
/// results and dead letters share a path; a record whose processing throws is dead-lettered and skipped.
/// </summary>
public sealed class PipelineTopology
{
    readonly StreamsJobOptions _options;
    readonly PipelineCodecs _codecs;
    readonly StreamsMetrics _metrics;
    readonly ILoggerFactory _loggers;

    public PipelineTopology(StreamsJobOptions options, PipelineCodecs codecs, StreamsMetrics metrics, ILoggerFactory? loggers = null)
    {
        options.Records.Validate();
        _options = options;
        _codecs = codecs;
        _metrics = metrics;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        Suppressions = new SuppressionSet();
        Containers = new ContainerInventory();
        options.Drift.Policy.Validate();
        Baselines = new DriftBaselines(options.Drift.Policy);
    }

    /// <summary>The live suppression set shared by the detection tasks (fed by the <c>wp.suppressions</c> global store).</summary>
    public SuppressionSet Suppressions { get; }

    /// <summary>The drift baselines of the watched profiles (the <c>wp.profiles</c> global table), shared by the snapshot tasks.</summary>
    public DriftBaselines Baselines { get; }

    /// <summary>Which tasks' stores are restored: the host follows its <c>KafkaStream</c> with it (see <see cref="StoreRestoration"/>).</summary>
    public StoreRestoration Restoration { get; } = new();

    /// <summary>How many commits the snapshot and detection jobs' task stores have been through (their outboxes delete what they delivered).</summary>
    public StoreCommits Commits { get; } = new();

    /// <summary>The agents' container inventory (the <c>wp.containers</c> global store), for the Falco bridge.</summary>
    public ContainerInventory Containers { get; }

    /// <summary>Source topics the application's consumer group reads (the global tables are read outside it).</summary>
    public IReadOnlyList<string> GroupTopics =>
        [.. SourceTopics.Where(t => t != PipelineTopics.Suppressions.Name && t != PipelineTopics.Containers.Name)
            .Where(t => t != PipelineTopics.Profiles.Name || (_options.Jobs & StreamJobs.Enrichment) != 0)];

    /// <summary>Source topics the topology reads (to pre-create on brokers that cannot auto-create).</summary>
    public IReadOnlyList<string> SourceTopics
    {
        get
        {
            var jobs = _options.Jobs;
            var topics = new List<string>();
            if ((jobs & (StreamJobs.Snapshots | StreamJobs.Detection)) != 0) topics.Add(PipelineTopics.RawEvents.Name);
            if ((jobs & StreamJobs.Profiles) != 0) topics.Add(PipelineTopics.Snapshots.Name);
            if ((jobs & StreamJobs.Detection) != 0)
            {
                topics.AddRange([PipelineTopics.Suppressions.Name, PipelineTopics.Containers.Name, _options.Detection.FalcoTopic]);
            }
            if (DriftEnabled) topics.AddRange([PipelineTopics.Suppressions.Name, PipelineTopics.Profiles.Name]);
            if ((jobs & StreamJobs.Enrichment) != 0) topics.AddRange([PipelineTopics.Signals.Name, PipelineTopics.Profiles.Name]);
            return [.. topics.Distinct(StringComparer.Ordinal)];
        }
    }

    public Topology Build()
    {
        var jobs = _options.Jobs;
        if (jobs == StreamJobs.None)
        {
            throw new ArgumentException("No stream job selected.", nameof(_options));
        }

        var builder = new StreamBuilder();
        var keys = new SourceKeySerDes();

        if ((jobs & (StreamJobs.Snapshots | StreamJobs.Detection)) != 0)
        {
            var raw = builder.Stream(PipelineTopics.RawEvents.Name, keys, new DecodingSerDes<RawEventBatch>(_codecs.Batches), "raw-events");
            if (UsesSuppressions)
            {
                var suppressions = Suppressions;
                AddGlobalTable(builder, "suppressions", PipelineTopics.Suppressions.Name, _codecs.Suppressions, suppressions.Apply, id => suppressions.Remove(id));
            }

            if ((jobs & StreamJobs.Snapshots) != 0)
            {
                var snapshots = _options.Snapshots;
                var drift = DriftEnabled ? DriftWatches() : null;
                Sink(raw.Transform(
                    TaskTransformer<string, Decoded<RawEventBatch>, string, Outgoing>.Supplier(
                        () => new SnapshotWindowProcessor(snapshots, _codecs, _metrics, _options.EventTime, Output("snapshots", "snapshot-job"),
                            Restoration, Commits, drift?.Invoke()),
                        SnapshotWindowProcessor.StoreBuilder(Commits)),
                    "snapshot-windows"), "snapshot-sink");
            }

            if ((jobs & StreamJobs.Detection) != 0)
            {
                AddDetection(builder, raw, deadLetterUndecodable: (jobs & StreamJobs.Snapshots) == 0);
            }
        }

        if ((jobs & StreamJobs.Profiles) != 0)
        {
            var profiles = _options.Profiles;
            var snapshots = builder.Stream(PipelineTopics.Snapshots.Name, keys,
                new DecodingSerDes<ActivitySnapshot>(_codecs.Snapshots), "snapshots");
            Sink(snapshots.Transform(
                TaskTransformer<string, Decoded<ActivitySnapshot>, string, Outgoing>.Supplier(
                    () => new ProfileAggregationProcessor(profiles, _codecs, _metrics, _options.EventTime, Output("profiles", "profile-job"), Restoration),
                    ProfileAggregationProcessor.StoreBuilder()),
                "profile-aggregation"), "profile-sink");
        }

        if ((jobs & StreamJobs.Enrichment) != 0)
        {
            var enrichment = _options.Enrichment;
            var profileUpdates = builder
                .Stream(PipelineTopics.Profiles.Name, keys, new DecodingSerDes<SecurityProfile>(_codecs.Profiles), "profiles")
                .MapValues<EnrichmentInput>((profile, _) => EnrichmentInput.ForProfile(profile), "profile-updates");
            var signals = builder
                .Stream(PipelineTopics.Signals.Name, keys, new DecodingSerDes<SecuritySignal>(_codecs.Signals), "signals")
                .MapValues<EnrichmentInput>((signal, _) => EnrichmentInput.ForSignal(signal), "signal-inputs");
            Sink(profileUpdates.Merge(signals, "enrichment-input").Transform(
                TaskTransformer<string, EnrichmentInput, string, Outgoing>.Supplier(
                    () => new SignalEnrichmentProcessor(enrichment, _codecs, _metrics, _options.EventTime, Output("enrichment", "enrichment-job")),
                    SignalEnrichmentProcessor.StoreBuilder()),
                "signal-enrichment"), "enrichment-sink");
        }

        return builder.Build();
    }

    void AddDetection(StreamBuilder builder, IKStream<string, Decoded<RawEventBatch>> raw, bool deadLetterUndecodable)
    {
        var detection = _options.Detection;
        var rules = RuleSet.Load(detection.Engine);
        var suppressions = Suppressions;
        var containers = Containers;

        AddGlobalTable(builder, "containers", PipelineTopics.Containers.Name, _codecs.Containers, containers.Apply, containers.Remove);

        Sink(raw.Transform(
            TaskTransformer<string, Decoded<RawEventBatch>, string, Outgoing>.Supplier(
                () => new DetectionProcessor(detection, rules, suppressions, _codecs, _metrics, _options.EventTime,
                    Output("detection", "detection-job"), deadLetterUndecodable, Commits), DetectionProcessor.StoreBuilder(Commits)),
            "detection"), "detection-sink");

        var falco = builder.Stream(detection.FalcoTopic, new SourceKeySerDes(), new ByteArraySerDes(), "falco-alerts");
        Sink(falco.Transform(
            TaskTransformer<string, byte[], string, Outgoing>.Supplier(
                () => new FalcoBridgeProcessor(suppressions, containers, _codecs, _metrics, _options.EventTime, Output("falco-bridge", "falco-bridge"))),
            "falco-bridge"), "falco-sink");
    }

    /// <summary>One processor instance's output (a task's processors each get their own).</summary>
    JobOutput Output(string job, string consumer) =>
        new(job, consumer, _codecs, _metrics, _options.Records, _loggers.CreateLogger($"WorkloadProfiles.Streams.{job}"));

    /// <summary>Whether the snapshot job raises drift (then run a <see cref="DriftBaselineFollower"/> into <see cref="Baselines"/>).</summary>
    public bool DriftEnabled => (_options.Jobs & StreamJobs.Snapshots) != 0 && _options.Drift.Enabled;

    bool UsesSuppressions => (_options.Jobs & StreamJobs.Detection) != 0 || DriftEnabled;

    /// <summary>The per-task drift watch, reading <see cref="Baselines"/> (fed from <c>wp.profiles</c> by a
    /// <see cref="DriftBaselineFollower"/>: Streamiz cannot read a topic both as a stream and as a global store, and the
    /// enrichment job streams it).</summary>
    Func<DriftWatch> DriftWatches()
    {
        var policy = _options.Drift.Policy;
        var maxKeyLength = _options.Snapshots.Limits.MaxKeyLength;
        var windowUs = (long)_options.Snapshots.Window.TotalMicroseconds;
        var (baselines, suppressions, codecs, metrics) = (Baselines, Suppressions, _codecs, _metrics);
        return () => new DriftWatch(policy, maxKeyLength, baselines, suppressions, codecs, metrics, windowUs);
    }

    void AddGlobalTable<T>(StreamBuilder builder, string table, string topic, IAvroCodec<T> codec, Action<T> apply, Action<string> remove)
        where T : class =>
        builder.AddGlobalStore(GlobalTableProcessor<T>.StoreBuilder(table, codec), topic,
            TaskProcessor<string, Decoded<T>>.Supplier(() => new GlobalTableProcessor<T>(table, apply, remove, _metrics)),
            new SourceKeySerDes(), new DecodingSerDes<T>(codec), named: table);

    static void Sink(IKStream<string, Outgoing> results, string name) =>
        results.To((_, value, _) => value.Topic, new StringSerDes(), new OutgoingSerDes(), name);
}
