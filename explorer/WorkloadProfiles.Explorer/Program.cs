using WorkloadProfiles.Explorer;
using WorkloadProfiles.Explorer.Bench;

// wp-explorer [--config FILE] [--Section:Key value …]     serve the explorer
// wp-explorer bench [--Bench:Signals N] [--Bench:Requests N]   time the signals view's API over a seeded warehouse
if (args is ["bench", .. var rest]) return await SignalGroupBenchmark.RunAsync(rest);

await using var app = ExplorerApp.Create(args);
await app.RunAsync();
return 0;
