using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/WorkloadProfiles.Benchmarks -- --filter '*Domain*' [--job short] [--inProcess]
// The generated benchmark project is compiled on the spot; on a busy 2-core machine that takes longer than BenchmarkDotNet's
// default two minutes, hence the longer timeout (or pass --inProcess to skip that build).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
    .Run(args, ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10)));

public partial class Program;
