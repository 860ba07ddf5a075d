using BenchmarkDotNet.Attributes;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Benchmarks.Domain;

/// <summary>
/// The drift check against the snapshot job's own per-event work on the same 100,000 events: the baseline is the snapshot
/// builder alone, then the builder with drift judged on every event with the default kinds (what the snapshot job does for a
/// container of a Stable image), then the drift check
/// alone (lineage plus baseline lookups). The profile is learnt from the same workload, so nearly nothing drifts (the
/// steady state), and the per-request temp files keep the leaf normalization busy.
/// </summary>
[MemoryDiagnoser]
public class DomainDriftBenchmarks
{
    private const int Events = 100_000;
    private RawEvent[] _events = [];
    private DriftBaseline _baseline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _events = SyntheticWorkload.Events(Events);
        var learnt = new SnapshotBuilder(SyntheticWorkload.Container, "host-1", 0, 1_800_000_000);
        foreach (var e in SyntheticWorkload.Events(Events, seed: 7)) learnt.Add(e);
        var aggregate = new ProfileAggregate(SyntheticWorkload.Container.ProfileKey!.Value, ProfilePolicy.Default with { StableSnapshotCount = 1 });
        aggregate.Merge(learnt.Build(), 1);
        _baseline = DriftBaseline.From(aggregate.ToProfile());
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public ActivitySnapshot SnapshotOnly()
    {
        var builder = new SnapshotBuilder(SyntheticWorkload.Container, "host-1", 0, 1_800_000_000);
        foreach (var e in _events) builder.Add(e);
        return builder.Build();
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int SnapshotWithDrift()
    {
        var builder = new SnapshotBuilder(SyntheticWorkload.Container, "host-1", 0, 1_800_000_000);
        var detector = new DriftDetector();
        var drift = 0;
        foreach (var e in _events)
        {
            builder.Add(e);
            if (detector.Inspect(e, builder.Processes, _baseline, DriftPolicy.Default.Kinds) is not null) drift++;
        }
        return drift + builder.Build().Nodes.Count;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int DriftOnly()
    {
        var processes = new ProcessTable();
        var detector = new DriftDetector();
        var drift = 0;
        foreach (var e in _events)
        {
            if (e.Kind is EventKind.Exec or EventKind.Fork or EventKind.Exit) processes.Apply(e);
            if (detector.Inspect(e, processes, _baseline, DriftPolicy.Default.Kinds) is not null) drift++;
        }
        return drift;
    }

    /// <summary>Memory of the drift baseline of a Stable profile with <paramref name="nodes"/> nodes, each process node
    /// carrying <paramref name="signaturesPerProcess"/> signatures, against the profile's Avro bytes.</summary>
    public static (long BaselineBytes, int ProfileBytes) Footprint(int nodes, int signaturesPerProcess)
    {
        var process = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/usr/sbin/nginx");
        var list = new List<ProfileNode>(nodes)
        {
            new() { Id = process, ParentId = NodeIdentity.Root, Kind = NodeKind.Process, Key = "/usr/sbin/nginx", SnapshotCount = 1,
                Signatures = [.. Enumerable.Range(0, signaturesPerProcess).Select(i => new ProfileSignature($"-g daemon off; -c /etc/nginx/{i}.conf", 1, 1))] },
        };
        for (var i = 1; i < nodes; i++)
        {
            var key = $"/srv/data/{i % 37}/file-{i}.dat";
            list.Add(new ProfileNode { Id = NodeIdentity.Compute(process, NodeKind.File, key), ParentId = process, Kind = NodeKind.File, Key = key, SnapshotCount = 1 });
        }
        var profile = new SecurityProfile
        {
            Key = SyntheticWorkload.Container.ProfileKey!.Value, Status = ProfileStatus.Stable, SnapshotCount = 1, Nodes = list,
            SnapshotIds = ["s-1"], ContainerIds = ["c-1"], HostNames = ["h-1"],
        };
        return (DriftBaseline.From(profile).MemoryBytes, Contracts.AvroContracts.SecurityProfile.EncodeBody(profile).Length);
    }
}
