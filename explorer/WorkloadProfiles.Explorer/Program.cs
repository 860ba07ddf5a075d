using WorkloadProfiles.Explorer;

await using var app = ExplorerApp.Create(args);
await app.RunAsync();
