using System.Runtime.CompilerServices;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Detection;

/// <summary>
/// Evaluates rules over raw event batches and returns the signals that are not suppressed.
/// <para>
/// Per container it keeps a <see cref="Domain.Snapshots.ProcessTable"/> fed with exec/fork/exit, so every signal carries the
/// root-first ancestry of the acting process (the same lineage the snapshot builder gives the profile). Rules are bucketed
/// by event kind, so events no rule watches cost a table lookup and nothing else; a condition is a compiled delegate over
/// fields rebound in place, so an event that matches nothing allocates nothing.
/// </para>
/// <para>
/// Not thread-safe: use one engine per stream task (partition), which also keeps each container's lineage on one thread.
/// <see cref="Counters"/> and <see cref="Suppressions"/> may be used from other threads.
/// </para>
/// </summary>
public sealed class DetectionEngine
{
    /// <summary><see cref="SecuritySignal.Source"/> of the signals the rules raise.</summary>
    public const string Source = "rules";

    // Indexed by EventKind; empty for kinds no enabled rule watches.
    private readonly CompiledRule[][] _byKind;
    private readonly int[][] _ruleIndexByKind;
    private readonly DetectionOptions _options;
    private readonly DetectionMetrics _metrics;
    private readonly ContainerLineages _lineages;
    private readonly EventFields _fields = new();
    // Kinds whose every rule reads only file.* (the default open rules): their outcome per (path, flags) is remembered,
    // because a container opens the same few files over and over and evaluating the rules costs more than a lookup.
    private readonly bool[] _fileOnlyByKind;
    private readonly Dictionary<(string Path, int Flags), int[]> _fileOutcomes = [];
    private const int MaxFileOutcomes = 16_384;
    // The last outcomes by the path's reference, in front of _fileOutcomes: the Avro decoder hands out one instance per
    // repeated path, so most opens are answered without hashing the path's characters.
    private readonly RecentOutcome[] _recentOutcomes = new RecentOutcome[1_024];
    private bool _conditionThrew;

    public DetectionEngine(RuleSet rules, SuppressionSet? suppressions = null, DetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _options = options ?? DetectionOptions.Default;
        _options.Validate();
        Rules = rules;
        Suppressions = suppressions ?? new SuppressionSet();
        _metrics = new DetectionMetrics(rules.Compiled);
        _lineages = new ContainerLineages(_options, _metrics);

        var kinds = Enum.GetValues<EventKind>();
        _byKind = new CompiledRule[kinds.Max(k => (int)k) + 1][];
        _ruleIndexByKind = new int[_byKind.Length][];
        for (var k = 0; k < _byKind.Length; k++)
        {
            var watched = rules.Compiled
                .Select((rule, index) => (rule, index))
                .Where(r => r.rule.Rule.Enabled && EventOf(r.rule.Rule.Event) == (EventKind)k)
                .ToArray();
            _byKind[k] = [.. watched.Select(r => r.rule)];
            _ruleIndexByKind[k] = [.. watched.Select(r => r.index)];
        }
        _fileOnlyByKind = [.. _byKind.Select((rules, k) => (EventKind)k == EventKind.Open && rules.Length > 0 && rules.All(r => r.ReadsOnlyFile))];
    }

    public RuleSet Rules { get; }

    /// <summary>The live suppressions; apply <c>wp.suppressions</c> updates here.</summary>
    public SuppressionSet Suppressions { get; }

    public DetectionCounters Counters => _metrics.Snapshot(_lineages.Count);

    /// <summary>
    /// Applies the batch's lineage events and evaluates its events in order. Returns the signals not suppressed, in event
    /// order (an empty list, not allocated, when there are none).
    /// </summary>
    public IReadOnlyList<SecuritySignal> Evaluate(RawEventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var container = batch.Container;
        var events = batch.Events;
        _metrics.Batch(events.Count);

        List<SecuritySignal>? signals = null;
        var processes = _lineages.For(container.Id);
        long evaluated = 0;

        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            switch (e.Kind)
            {
                case EventKind.ContainerExit:
                    _lineages.Exited(container.Id);
                    // Anything after the exit (unusual: a reused id) starts a fresh lineage.
                    if (i + 1 < events.Count) processes = _lineages.For(container.Id);
                    continue;
                case EventKind.Fork or EventKind.Exit or EventKind.Exec:
                    processes = ApplyLineage(container.Id, processes, e);
                    break;
            }

            // A process re-read from /proc as a profiling session began was evaluated when first reported.
            if (e.Rescan || (uint)e.Kind >= (uint)_byKind.Length) continue;
            var rules = _byKind[(int)e.Kind];
            if (rules.Length == 0) continue;

            evaluated++;
            var indexes = _ruleIndexByKind[(int)e.Kind];
            if (_fileOnlyByKind[(int)e.Kind])
            {
                var matched = FileOutcome(e, rules, indexes, container, batch.HostName, processes);
                if (matched.Length == 0) continue;
                _fields.Bind(e, container, batch.HostName, processes);
                Behaviour? fileBehaviour = null;
                foreach (var r in matched) Signal(rules[r].Rule, indexes[r], e, container, batch.HostName, ref fileBehaviour, ref signals);
                continue;
            }

            _fields.Bind(e, container, batch.HostName, processes);
            Behaviour? behaviour = null;
            for (var r = 0; r < rules.Length; r++)
            {
                if (Matches(rules[r], indexes[r])) Signal(rules[r].Rule, indexes[r], e, container, batch.HostName, ref behaviour, ref signals);
            }
        }

        _metrics.Evaluated(evaluated);
        if (signals is null) return [];
        _metrics.Signals(signals.Count);
        return signals;
    }

    /// <summary>
    /// Applies only the batch's lineage events (exec, fork, exit, container exit), exactly as <see cref="Evaluate"/> does,
    /// without evaluating rules: how a stream job rebuilds lineage from a journal after a restart or a task move.
    /// </summary>
    public void ReplayLineage(RawEventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var id = batch.Container.Id;
        var processes = _lineages.For(id);
        for (var i = 0; i < batch.Events.Count; i++)
        {
            var e = batch.Events[i];
            if (e.Kind == EventKind.ContainerExit)
            {
                _lineages.Exited(id);
                if (i + 1 < batch.Events.Count) processes = _lineages.For(id);
            }
            else if (e.Kind is EventKind.Fork or EventKind.Exit or EventKind.Exec)
            {
                processes = ApplyLineage(id, processes, e);
            }
        }
    }

    /// <summary>A container's lineage as plain data (null when the engine keeps none), for a stream job to checkpoint.</summary>
    public ProcessTableState? ExportLineage(string containerId) =>
        _lineages.TryGet(containerId, out var processes) ? processes.Export() : null;

    /// <summary>Puts back a container's lineage exported by <see cref="ExportLineage"/>.</summary>
    public void RestoreLineage(string containerId, ProcessTableState state) =>
        _lineages.Restore(containerId, ProcessTable.Restore(state));

    private ProcessTable ApplyLineage(string containerId, ProcessTable processes, RawEvent e)
    {
        processes.Apply(e);
        if (e.Kind != EventKind.Exit
            && (processes.Count > _options.MaxProcessesPerContainer || processes.NodeCount > _options.MaxProcessesPerContainer))
            processes = _lineages.Reset(containerId);
        return processes;
    }

    /// <summary>A matched rule: counted, then a signal unless a suppression covers the behaviour.</summary>
    private void Signal(Rule rule, int ruleIndex, RawEvent e, ContainerRef container, string hostName, ref Behaviour? behaviour,
        ref List<SecuritySignal>? signals)
    {
        _metrics.Matched(ruleIndex);
        behaviour ??= SignalFactory.BehaviourOf(e, _fields.Ancestry);
        if (Suppressions.Match(rule.Id, container.ImageName, behaviour) is not null)
        {
            _metrics.Suppressed(ruleIndex);
            return;
        }
        (signals ??= []).Add(SignalFactory.Create(Source, rule.Id, rule.Name, rule.Description, rule.Severity, rule.Tags, e, container, hostName, behaviour, _fields.Image));
    }

    /// <summary>Positions (in the kind's bucket) of the file-only rules that match this open, remembered per (path, flags).
    /// An outcome in which a rule threw is not remembered, so its error is counted on every evaluation.</summary>
    private int[] FileOutcome(RawEvent e, CompiledRule[] rules, int[] indexes, ContainerRef container, string hostName, ProcessTable processes)
    {
        var key = (e.FilePath ?? "", e.FileFlags);
        ref var recent = ref _recentOutcomes[(RuntimeHelpers.GetHashCode(key.Item1) ^ key.Item2) & (_recentOutcomes.Length - 1)];
        if (ReferenceEquals(recent.Path, key.Item1) && recent.Flags == key.Item2) return recent.Outcome!;
        if (_fileOutcomes.TryGetValue(key, out var known))
        {
            recent = new RecentOutcome(key.Item1, key.Item2, known);
            return known;
        }

        _fields.Bind(e, container, hostName, processes);
        _conditionThrew = false;
        List<int>? matched = null;
        for (var r = 0; r < rules.Length; r++)
        {
            if (Matches(rules[r], indexes[r])) (matched ??= []).Add(r);
        }
        int[] outcome = matched is null ? [] : [.. matched];
        if (_conditionThrew) return outcome;
        if (_fileOutcomes.Count >= MaxFileOutcomes) _fileOutcomes.Clear();
        _fileOutcomes[key] = outcome;
        recent = new RecentOutcome(key.Item1, key.Item2, outcome);
        return outcome;
    }

    private bool Matches(CompiledRule rule, int ruleIndex)
    {
        var f = _fields;
        try
        {
            return rule.Condition(f.process, f.file, f.dns, f.destination, f.network, f.container, f.user, f.host);
        }
        catch (Exception)
        {
            // A condition that throws (e.g. an index past argv) does not match; counted so a broken rule is visible.
            _metrics.RuleError(ruleIndex);
            _conditionThrew = true;
            return false;
        }
    }

    private readonly record struct RecentOutcome(string? Path, int Flags, int[]? Outcome);

    private static EventKind EventOf(RuleEvent kind) => kind switch
    {
        RuleEvent.Exec => EventKind.Exec,
        RuleEvent.Open => EventKind.Open,
        RuleEvent.Dns => EventKind.Dns,
        RuleEvent.Connect => EventKind.Connect,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
