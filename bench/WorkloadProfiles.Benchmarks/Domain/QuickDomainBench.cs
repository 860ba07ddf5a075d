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
    }

    private static void Report<T>(string name, string unit, int operationsPerCall, Func<T> body)
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
    }
}
