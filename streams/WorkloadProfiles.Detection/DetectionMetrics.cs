using WorkloadProfiles.Detection.Rules;

namespace WorkloadProfiles.Detection;

/// <summary>
/// A point-in-time copy of the engine's counters. Per-rule maps hold every loaded rule id (zero included), so an exporter
/// sees a series for each rule from the start.
/// </summary>
public sealed record DetectionCounters
{
    public long Batches { get; init; }
    /// <summary>Events received, of every kind.</summary>
    public long Events { get; init; }
    /// <summary>Events of a kind at least one enabled rule watches, which therefore ran conditions.</summary>
    public long EventsEvaluated { get; init; }
    /// <summary>Signals returned (matched minus suppressed).</summary>
    public long Signals { get; init; }
    /// <summary>Events whose condition was true, per rule id, suppressed ones included.</summary>
    public required IReadOnlyDictionary<string, long> Matched { get; init; }
    /// <summary>Matches a suppression stopped, per rule id.</summary>
    public required IReadOnlyDictionary<string, long> Suppressed { get; init; }
    /// <summary>Conditions that threw at run time (the event counted as not matching that rule).</summary>
    public required IReadOnlyDictionary<string, long> RuleErrors { get; init; }
    /// <summary>Containers whose process table is held now.</summary>
    public int ContainersTracked { get; init; }
    /// <summary>Process tables dropped because the container exited.</summary>
    public long ContainersExited { get; init; }
    /// <summary>Process tables dropped because <see cref="DetectionOptions.MaxContainers"/> was reached (least recently seen first).</summary>
    public long ContainersEvicted { get; init; }
    /// <summary>Process tables reset because they exceeded <see cref="DetectionOptions.MaxProcessesPerContainer"/>.</summary>
    public long ProcessTablesReset { get; init; }
}

/// <summary>The engine's live counters: written by the engine's thread, read by a metrics exporter on another.</summary>
internal sealed class DetectionMetrics(IReadOnlyList<CompiledRule> rules)
{
    private readonly long[] _matched = new long[rules.Count];
    private readonly long[] _suppressed = new long[rules.Count];
    private readonly long[] _ruleErrors = new long[rules.Count];
    private long _batches, _events, _eventsEvaluated, _signals, _exited, _evicted, _reset;

    public void Batch(int events)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _events, events);
    }

    public void Evaluated(long events) => Interlocked.Add(ref _eventsEvaluated, events);
    public void Matched(int rule) => Interlocked.Increment(ref _matched[rule]);
    public void Suppressed(int rule) => Interlocked.Increment(ref _suppressed[rule]);
    public void RuleError(int rule) => Interlocked.Increment(ref _ruleErrors[rule]);
    public void Signals(int count) => Interlocked.Add(ref _signals, count);
    public void ContainerExited() => Interlocked.Increment(ref _exited);
    public void ContainerEvicted() => Interlocked.Increment(ref _evicted);
    public void ProcessTableReset() => Interlocked.Increment(ref _reset);

    public DetectionCounters Snapshot(int containersTracked) => new()
    {
        Batches = Interlocked.Read(ref _batches),
        Events = Interlocked.Read(ref _events),
        EventsEvaluated = Interlocked.Read(ref _eventsEvaluated),
        Signals = Interlocked.Read(ref _signals),
        Matched = PerRule(_matched),
        Suppressed = PerRule(_suppressed),
        RuleErrors = PerRule(_ruleErrors),
        ContainersTracked = containersTracked,
        ContainersExited = Interlocked.Read(ref _exited),
        ContainersEvicted = Interlocked.Read(ref _evicted),
        ProcessTablesReset = Interlocked.Read(ref _reset),
    };

    private Dictionary<string, long> PerRule(long[] counts)
    {
        var map = new Dictionary<string, long>(counts.Length, StringComparer.Ordinal);
        for (var i = 0; i < counts.Length; i++) map[rules[i].Rule.Id] = Interlocked.Read(ref counts[i]);
        return map;
    }
}
