using WorkloadProfiles.Contracts;
using WorkloadProfiles.Contracts.Recordings;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.DetectionQuality.Corpus;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.DetectionQuality;

/// <summary>
/// Replays a recorded corpus through the domain pipeline exactly as the stream jobs run it, deterministically: the learning
/// containers' events are cut into tumbling windows and built into snapshots (one process table per container across its
/// windows, as the snapshot job keeps it), merged into one profile per image until it is Stable; the repeat and attack
/// containers' batches go through the default detection rules and the drift check against the Stable profile, and every
/// signal is enriched against its image's profile.
/// </summary>
/// <remarks>
/// A signal is labelled attack when its acting process is, or descends from, an attack step's entry point (see
/// <see cref="AttackStep.IsEntry"/>): the label follows the kernel's lineage (fork inherits it, exec keeps it), so a step's
/// <c>sh -c</c> that execs its last command in place still labels that command. Everything else is benign.
/// </remarks>
public static class Evaluation
{
    public const int DefaultWindowSeconds = 15;

    public static QualityReport Run(string corpusDirectory)
    {
        var manifest = Manifest.Load(corpusDirectory);
        var batchesByContainer = new Dictionary<string, List<RawEventBatch>>(StringComparer.Ordinal);
        var ordered = new List<RawEventBatch>();
        using (var input = File.OpenRead(Path.Combine(corpusDirectory, Manifest.RecordingFile)))
        using (var reader = new RecordingReader(input))
        {
            foreach (var batch in reader.ReadAll())
            {
                if (!batchesByContainer.TryGetValue(batch.Container.Id, out var list)) batchesByContainer[batch.Container.Id] = list = [];
                list.Add(batch);
                ordered.Add(batch);
            }
        }
        return Run(manifest, batchesByContainer, ordered);
    }

    private static QualityReport Run(Manifest manifest, Dictionary<string, List<RawEventBatch>> byContainer, List<RawEventBatch> ordered)
    {
        var roles = manifest.Containers.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var windowUs = manifest.WindowSeconds * 1_000_000L;

        // Learning: snapshots per image, merged until Stable.
        var profiles = new Dictionary<string, ProfileOutcome>(StringComparer.Ordinal);
        foreach (var image in manifest.Containers.Select(c => c.Image).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var snapshots = manifest.Containers
                .Where(c => c.Image == image && c.Role == ContainerRole.Learning)
                .SelectMany(c => Snapshots(byContainer.GetValueOrDefault(c.Id) ?? [], windowUs))
                .OrderBy(s => s.WindowStartUs).ThenBy(s => s.Container.Id, StringComparer.Ordinal)
                .ToList();
            profiles[image] = Learn(image, snapshots);
        }

        // Detection and enrichment over the repeat and attack containers, in recorded order.
        var engine = new DetectionEngine(RuleSet.LoadDefault());
        var matcher = new SuggestionMatcher();
        var indexes = profiles.ToDictionary(p => p.Key, p => ProfileIndex.For(p.Value.Profile), StringComparer.Ordinal);
        var lineage = new AttackLineage(manifest.Attacks);
        var drift = new Drift(profiles.ToDictionary(p => p.Key, p => DriftBaseline.From(p.Value.Profile), StringComparer.Ordinal), windowUs);
        var signals = new List<LabelledSignal>();
        foreach (var batch in ordered)
        {
            if (!roles.TryGetValue(batch.Container.Id, out var container) || container.Role == ContainerRole.Learning) continue;
            // One event at a time, so each signal is labelled with the lineage as it was when its event happened.
            foreach (var e in batch.Events)
            {
                lineage.Apply(container, e);
                var raised = engine.Evaluate(batch with { Events = [e], DroppedEvents = 0 });
                foreach (var signal in (IEnumerable<SecuritySignal>)[.. drift.Inspect(container, batch, e), .. raised])
                {
                    var enriched = matcher.Enrich(signal, indexes.GetValueOrDefault(container.Image), signal.TimestampUs);
                    signals.Add(new LabelledSignal(enriched, container.Role, lineage.StepOf(container, signal)));
                }
            }
        }

        return new QualityReport(manifest, [.. profiles.Values.OrderBy(p => p.Profile.Key.ImageName, StringComparer.Ordinal)], signals,
            lineage.StepsSeen);
    }

    /// <summary>The snapshots of one container: tumbling windows of its profiling batches, the partial first and last
    /// included, as the snapshot job emits them.</summary>
    internal static List<ActivitySnapshot> Snapshots(IReadOnlyList<RawEventBatch> batches, long windowUs)
    {
        if (batches.Count == 0) return [];
        var processes = new ProcessTable();
        var open = new SortedDictionary<long, SnapshotBuilder>();
        foreach (var batch in batches)
        {
            foreach (var e in batch.Events)
            {
                if (!batch.Profiling)
                {
                    if (e.Kind is EventKind.Exec or EventKind.Fork or EventKind.Exit) processes.Apply(e);
                    continue;
                }
                var start = e.TimestampUs - (e.TimestampUs % windowUs);
                if (!open.TryGetValue(start, out var builder))
                    open[start] = builder = new SnapshotBuilder(batch.Container, batch.HostName, start, start + windowUs, processes: processes);
                builder.Add(e);
            }
        }
        return [.. open.Values.Select(b => b.Build())];
    }

    private static ProfileOutcome Learn(string image, List<ActivitySnapshot> snapshots)
    {
        if (snapshots.Count == 0) throw new InvalidDataException($"the corpus has no learning snapshots of {image}");
        // The key as the agent resolved it from the runtime (podman may prefix localhost/).
        var key = snapshots[0].Container.ProfileKey ?? throw new InvalidDataException($"the agent did not resolve the image of {image}'s learning containers");
        // Stable on the last learning snapshot: the count rule is the corpus size, the time rule out of reach.
        var policy = ProfilePolicy.Default with { StableSnapshotCount = snapshots.Count, StableAfter = TimeSpan.FromDays(3650) };
        var aggregate = new ProfileAggregate(key, policy);
        foreach (var snapshot in snapshots)
        {
            if (aggregate.Merge(snapshot, snapshot.WindowEndUs) != MergeOutcome.Applied)
                throw new InvalidDataException($"snapshot {snapshot.SnapshotId} of {image} did not merge into {key}");
        }
        var profile = aggregate.ToProfile();
        var withoutSignatures = profile with
        {
            Nodes = [.. profile.Nodes.Select(n => n with { Signatures = [], SignaturesOverflowed = false })],
        };
        return new ProfileOutcome(profile, snapshots.Count,
            AvroContracts.SecurityProfile.EncodeBody(profile).Length,
            AvroContracts.SecurityProfile.EncodeBody(withoutSignatures).Length);
    }

    /// <summary>The drift half of the snapshot job, as it runs there: each container's own lineage, its image's baseline,
    /// the default kinds and cap, one ledger per container over the corpus's windows.</summary>
    private sealed class Drift(Dictionary<string, DriftBaseline> baselines, long windowUs)
    {
        private readonly DriftDetector _detector = new();
        private readonly Dictionary<string, (ProcessTable Processes, DriftLedger Ledger)> _containers = new(StringComparer.Ordinal);

        public IEnumerable<SecuritySignal> Inspect(RecordedContainer container, RawEventBatch batch, RawEvent e)
        {
            if (!_containers.TryGetValue(container.Id, out var state)) _containers[container.Id] = state = (new ProcessTable(), new DriftLedger());
            if (e.Kind is EventKind.Exec or EventKind.Fork or EventKind.Exit && SnapshotBuilder.Validate(e) is null) state.Processes.Apply(e);
            if (!baselines.TryGetValue(container.Image, out var baseline)
                || _detector.Inspect(e, state.Processes, baseline, DriftPolicy.Default.Kinds) is not { } finding)
                yield break;
            var behaviour = DriftSignals.BehaviourOf(finding, e);
            var window = e.TimestampUs - (e.TimestampUs % windowUs);
            switch (state.Ledger.Admit(finding.DedupKey, window, DriftPolicy.Default.MaxSignalsPerWindow))
            {
                case DriftAdmission.Report:
                    yield return DriftSignals.Create(finding, behaviour, e, batch.Container, batch.HostName);
                    break;
                case DriftAdmission.Overflow:
                    yield return DriftSignals.Overflow(finding, behaviour, e, batch.Container, batch.HostName, DriftPolicy.Default.MaxSignalsPerWindow);
                    break;
            }
        }
    }

    /// <summary>Which attack step each live process belongs to, following fork and exec per container.</summary>
    private sealed class AttackLineage(IReadOnlyList<AttackStep> steps)
    {
        private readonly Dictionary<(string Container, int Pid), string?> _steps = [];

        public HashSet<string> StepsSeen { get; } = new(StringComparer.Ordinal);

        public void Apply(RecordedContainer container, RawEvent e)
        {
            switch (e.Kind)
            {
                case EventKind.Fork:
                    // A reused pid starts over: the child carries its parent's label or none.
                    _steps[(container.Id, e.ChildPid)] = _steps.GetValueOrDefault((container.Id, e.Pid));
                    break;
                case EventKind.Exec when _steps.GetValueOrDefault((container.Id, e.Pid)) is null && EntryOf(container, e.Args) is { } step:
                    _steps[(container.Id, e.Pid)] = step;
                    StepsSeen.Add(step);
                    break;
            }
            // An exec keeps the label it has (same process, also when a step's program execs something another step's
            // entry would match); exit keeps it too, since a signal of the process may still be evaluated after it and a
            // pid is only reused after a fork overwrites it.
        }

        public string? StepOf(RecordedContainer container, SecuritySignal signal)
        {
            var ancestry = signal.Behaviour.Ancestry;
            var pid = signal.Process?.Pid ?? (ancestry.Count > 0 ? ancestry[^1].Pid : 0);
            if (_steps.GetValueOrDefault((container.Id, pid)) is { } step) return step;
            // The lineage as the detection engine saw it: an entry point anywhere on it labels the signal too.
            foreach (var process in ancestry)
                if (EntryOf(container, process.Args) is { } entry) return entry;
            return null;
        }

        /// <summary>The step whose entry point these arguments are, among the steps run against this container's image.</summary>
        private string? EntryOf(RecordedContainer container, IReadOnlyList<string>? args)
        {
            if (container.Role != ContainerRole.Attack) return null;
            foreach (var step in steps)
                if (step.Image == container.Image && step.IsEntry(args)) return step.Name;
            return null;
        }
    }
}

/// <summary>A learnt profile and its encoded size with and without argument signatures.</summary>
public sealed record ProfileOutcome(SecurityProfile Profile, int LearningSnapshots, int Bytes, int BytesWithoutSignatures);

/// <summary>An enriched signal of the replay and what it really was.</summary>
/// <param name="AttackStep">The attack step whose processes raised it; null for benign behaviour.</param>
public sealed record LabelledSignal(EnrichedSignal Signal, ContainerRole Role, string? AttackStep)
{
    public bool IsAttack => AttackStep is not null;
    public bool IsDrift => DriftRules.IsDrift(Signal.Signal.RuleId);
    public bool Suggested => Signal.Suggestion is not null;
}
