using System.CommandLine;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.Explorer;
using WorkloadProfiles.Explorer.Bench;
using WorkloadProfiles.Hosting;

// wp-explorer: serves the explorer until SIGINT/SIGTERM; wp-explorer bench times the signals view's API over a seeded
// warehouse. Exit codes (README "Exit codes"): 1 failed, 2 bad configuration, 3 ClickHouse unreachable or the port in use.
var command = new ServiceCommand("wp-explorer",
    "The WorkloadProfiles explorer: profiles, signals and suppression suggestions in the browser, and its API under /api. " +
    "Configuration keys can be given as --Section:Key value (e.g. --Explorer:Urls http://127.0.0.1:5080).");
command.SetAction(command.Root, (_, configuration, cancellation) => ServeAsync(configuration, cancellation));
var bench = new Command("bench", "Time the signals view's API over a seeded warehouse (--Bench:Signals N, --Bench:Requests N, --Bench:Keep true)");
command.SetAction(bench, (_, configuration, _) => SignalGroupBenchmark.RunAsync(configuration));
command.Root.Add(bench);
return await command.InvokeAsync(args);

static async Task<int> ServeAsync(IConfiguration configuration, CancellationToken cancellation)
{
    WebApplication app;
    try
    {
        app = ExplorerApp.Create([], builder => builder.AddConfiguration(configuration));
    }
    catch (InvalidOperationException e)
    {
        throw new ConfigurationException(ConfigurationValueError.Explain(e) ?? $"invalid configuration: {e.Message}", e);
    }

    await using (app)
    {
        using var stop = new StopSignal(cancellation);
        var database = app.Services.GetRequiredService<ClickHouseDatabase>();
        var options = configuration.GetSection(ClickHouseOptions.SectionName).Get<ClickHouseOptions>() ?? new ClickHouseOptions();
        var timeout = TimeSpan.FromSeconds(Math.Max(1, options.StartupTimeoutSeconds));
        if (await database.ProbeAsync(timeout, stop.Token) is { } unreachable)
        {
            throw new PrerequisiteException(ClickHouseOptions.Unreachable(database.Endpoint, timeout, unreachable));
        }

        try
        {
            await app.StartAsync(stop.Token);
        }
        catch (IOException e)
        {
            throw new PrerequisiteException($"cannot listen: {e.Message} (Explorer:Urls, WP_Explorer__Urls)", e);
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        Console.WriteLine($"wp-explorer ready url={string.Join(',', addresses)} health={addresses.FirstOrDefault()}/healthz");
        await stop.WaitAsync();
        await app.StopAsync(CancellationToken.None);
    }

    return ExitCodes.Ok;
}
