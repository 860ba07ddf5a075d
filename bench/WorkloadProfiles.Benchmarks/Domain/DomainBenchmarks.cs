using BenchmarkDotNet.Attributes;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Benchmarks.Domain;

/// <summary>
/// Raw events into the snapshot builder (the snapshot job's hot path), per event. The baseline reads every event and hashes
/// its kind-specific string, the least any keyed aggregation must do, so the ratio is the builder's cost over that floor.
/// </summary>
[MemoryDiagnoser]
public class DomainSnapshotBuilderBenchmarks
{
    private const int Events = 100_000;
    private RawEvent[] _events = [];

    [GlobalSetup]
    public void Setup() => _events = SyntheticWorkload.Events(Events);

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int ReadAndHashEvents()
    {
        var sum = 0;
        foreach (var e in _events)
            sum += (int)e.Kind + (e.FilePath ?? e.DnsQuestionName ?? e.DestinationAddress ?? e.ExecutablePath ?? "").GetHashCode(StringComparison.Ordinal);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public ActivitySnapshot BuildSnapshot()
    {
        var builder = new SnapshotBuilder(SyntheticWorkload.Container, "host-1", 0, 1_800_000_000);
        foreach (var e in _events) builder.Add(e);
        return builder.Build();
    }
}

/// <summary>Snapshots merged into a profile of 2,000 nodes (each snapshot carries 300 of them), per snapshot.</summary>
[MemoryDiagnoser]
public class DomainProfileMergeBenchmarks
{
    private const int Batch = 200;
    private ActivitySnapshot[] _snapshots = [];
    private SecurityProfile _base = null!;
    private ProfileAggregate _profile = null!;
    private readonly ProfilePolicy _learningForever = new() { StableSnapshotCount = int.MaxValue, StableAfter = TimeSpan.FromDays(365_000) };
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _snapshots = SyntheticWorkload.Snapshots(2_000, totalNodes: 2_000, nodesPerSnapshot: 300);
        var seed = new ProfileAggregate(new ProfileKey("nginx", "1.27"), _learningForever);
        foreach (var s in _snapshots.Take(100)) seed.Merge(s, 1);
        _base = seed.ToProfile();
        if (_base.Nodes.Count < 1_990) throw new InvalidOperationException($"base profile has only {_base.Nodes.Count} nodes");
        _profile = ProfileAggregate.FromProfile(_base, _learningForever);
        _next = 100;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public long MergeSnapshot()
    {
        // Fresh ids keep every merge an applied one; the aggregate is reset from the base profile now and then so the id set stays bounded.
        if (_next + Batch > _snapshots.Length)
        {
            _profile = ProfileAggregate.FromProfile(_base, _learningForever);
            _next = 100;
        }
        for (var i = 0; i < Batch; i++) _profile.Merge(_snapshots[_next++], 2);
        return _profile.SnapshotCount;
    }

    [Benchmark]
    public SecurityProfile PublishProfile() => _profile.ToProfile();

    [Benchmark]
    public ProfileAggregate RestoreProfile() => ProfileAggregate.FromProfile(_base, _learningForever);
}

/// <summary>Matching latency per signal against a Stable 2,000-node profile: a suggestion, and a behaviour the profile never saw.</summary>
[MemoryDiagnoser]
public class DomainMatchingBenchmarks
{
    private readonly SuggestionMatcher _matcher = new();
    private SecurityProfile _profile = null!;
    private SecuritySignal _known = null!;
    private SecuritySignal _unknown = null!;

    [GlobalSetup]
    public void Setup()
    {
        var aggregate = new ProfileAggregate(new ProfileKey("nginx", "1.27"), new ProfilePolicy { StableSnapshotCount = 500 });
        foreach (var s in SyntheticWorkload.Snapshots(500, totalNodes: 2_000, nodesPerSnapshot: 400)) aggregate.Merge(s, 1);
        _profile = aggregate.ToProfile();
        if (_profile.Status != ProfileStatus.Stable || _profile.Nodes.Count < 1_990) throw new InvalidOperationException("expected a Stable 2,000-node profile");

        ProcessRef[] ancestry = [new("/usr/sbin/nginx", ["nginx", "-g", "daemon off;"])];
        _known = Signal(new Behaviour { Kind = NodeKind.File, Ancestry = ancestry, FilePath = "/srv/data/1/file-1.dat", Access = FileAccessMode.Read });
        _unknown = Signal(new Behaviour { Kind = NodeKind.File, Ancestry = ancestry, FilePath = "/etc/shadow", Access = FileAccessMode.Read });
        if (_matcher.Enrich(_known, _profile, 1).Suggestion is null) throw new InvalidOperationException("the known behaviour should get a suggestion");
    }

    [Benchmark(Baseline = true)]
    public ulong NodeIdOnly() => NodeIdentity.ForBehaviour(_known.Behaviour);

    [Benchmark]
    public EnrichedSignal MatchSuggested() => _matcher.Enrich(_known, _profile, 1);

    [Benchmark]
    public EnrichedSignal MatchNotInProfile() => _matcher.Enrich(_unknown, _profile, 1);

    private static SecuritySignal Signal(Behaviour behaviour) => new()
    {
        SignalId = "s",
        RuleId = "rule.sensitive-file",
        RuleName = "Sensitive file",
        TimestampUs = 1,
        Source = "rules",
        Container = SyntheticWorkload.Container,
        Behaviour = behaviour,
    };
}
