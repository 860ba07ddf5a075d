using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/WorkloadProfiles.Benchmarks -- --filter '*Domain*' [--job short] [--inProcess]
// dotnet run -c Release --project bench/WorkloadProfiles.Benchmarks -- quick-domain   (CPU-time rates, see QuickDomainBench)
// The generated benchmark project is compiled on the spot; on a busy 2-core machine that takes longer than BenchmarkDotNet's
// default two minutes, hence the longer timeout (or pass --inProcess to skip that build). Min and Median are shown because
// on a shared machine the mean carries other processes' load; ratios to the baselines are measured in the same run.
var config = ManualConfig.Create(DefaultConfig.Instance)
    .WithBuildTimeout(TimeSpan.FromMinutes(10))
    .AddColumn(StatisticColumn.Min, StatisticColumn.Median);
if (args is ["quick-domain"])
{
    WorkloadProfiles.Benchmarks.Domain.QuickDomainBench.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);

public partial class Program;
