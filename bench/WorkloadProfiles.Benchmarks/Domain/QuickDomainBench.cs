using System.Diagnostics;
using System.Globalization;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Benchmarks.Domain;

/// <summary>
/// <c>dotnet run -c Release --project bench/WorkloadProfiles.Benchmarks -- quick-domain</c>: a fast check that reports rates per
/// second of this process's CPU time as well as of wall-clock time, each next to a raw baseline measured in the same run.
/// CPU time does not count the time other processes held the core, so on a shared, overloaded machine it is the figure
/// that stays comparable between runs; BenchmarkDotNet's wall-clock statistics are the reference on a quiet one.
/// </summary>
internal static class QuickDomainBench
{
    public static void Run()
    {
        var builder = new DomainSnapshotBuilderBenchmarks();
        builder.Setup();
        var merge = new DomainProfileMergeBenchmarks();
        merge.Setup();
        var matching = new DomainMatchingBenchmarks();
        matching.Setup();

        Report("raw read+hash baseline", "events", 100_000, () => builder.ReadAndHashEvents());
        Report("snapshot builder", "events", 100_000, () => builder.BuildSnapshot());
        Report("merge 300-node snapshot into 2,000-node profile", "snapshots", 200, () => merge.MergeSnapshot());
        Report("publish 2,000-node profile (ToProfile)", "profiles", 1, () => merge.PublishProfile());
        Report("node id of a behaviour (baseline)", "signals", 1, () => matching.NodeIdOnly());
        Report("match signal -> suggestion", "signals", 1, () => matching.MatchSuggested());
        Report("match signal -> not in profile", "signals", 1, () => matching.MatchNotInProfile());

        var drift = new DomainDriftBenchmarks();
        drift.Setup();
        var snapshotOnly = Report("snapshot builder (drift baseline)", "events", 100_000, () => drift.SnapshotOnly());
        var withDrift = Report("snapshot builder + drift on every event", "events", 100_000, () => drift.SnapshotWithDrift());
        var driftOnly = Report("drift check alone (lineage + lookups)", "events", 100_000, () => drift.DriftOnly());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"snapshot job per event with drift / without: {withDrift / snapshotOnly:0.00} of the events/s (CPU); drift alone runs at {driftOnly / snapshotOnly:0.00}x the snapshot builder's rate"));
        foreach (var (nodes, signatures) in new[] { (1_000, 8), (5_000, 32), (20_000, 32) })
        {
            var (baseline, profile) = DomainDriftBenchmarks.Footprint(nodes, signatures);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"drift baseline of a Stable profile of {nodes,6:N0} nodes: {baseline,9:N0} bytes ({(double)baseline / nodes:0.0} B/node) vs {profile,10:N0} bytes as Avro"));
        }
    }

    /// <summary>Prints the rates; returns operations per CPU second.</summary>
    private static double Report<T>(string name, string unit, int operationsPerCall, Func<T> body)
    {
        for (var i = 0; i < 20; i++) body(); // warm up, let tiered JIT settle
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long calls = 0;
        while (wall.Elapsed < TimeSpan.FromSeconds(3))
        {
            body();
            calls++;
        }
        wall.Stop();
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        var ops = (double)calls * operationsPerCall;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-50} {ops / cpu,14:N0} {unit}/s CPU  {cpu / ops * 1e9,10:N0} ns/op CPU   {ops / wall.Elapsed.TotalSeconds,14:N0} {unit}/s wall"));
        return ops / cpu;
    }
}
