using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using WorkloadProfiles.Hosting;
using WorkloadProfiles.Local;

// wp-local: README command 1. Starts the whole pipeline on this machine, prints where the explorer is and what the
// pipeline produced, and runs until Ctrl-C (or, with --once, until the first summary with a profile). Exit codes
// (README "Exit codes"): 0 ok, 1 the pipeline failed or formed no profile in time, 2 bad configuration, 3 a prerequisite
// is missing (ClickHouse cannot be started or reached, a port is in use, live capture impossible with --live).
var command = new ServiceCommand("wp-local",
    "Runs the WorkloadProfiles pipeline locally: broker, ClickHouse, stream jobs, sink, explorer and agent. " +
    "Configuration keys of every part can be given as --Section:Key value (e.g. --Explorer:Urls http://127.0.0.1:5081).");
var timeScaleOption = ServiceCommand.NumberOption<double>("--time-scale",
    "Compress the 30-minute windows (and the other stream durations) by this factor (default 60: 30 s windows; Local:TimeScale)");
var liveOption = new Option<bool>("--live") { Description = "Require live eBPF capture of the demo workload in podman containers (default: live when possible, else replay)" };
var replayOption = new Option<bool>("--replay") { Description = "Replay a recording even when live capture is possible" };
var recordingOption = new Option<FileInfo?>("--recording") { Description = "Recording to replay (default: agent/recordings/demo.avro, else a generated demo recording; Local:Recording)" };
var onceOption = new Option<bool>("--once", "--exit-after-summary") { Description = "Stop everything and exit after the first summary with a profile (tests, CI)" };
command.Root.Add(timeScaleOption);
command.Root.Add(liveOption);
command.Root.Add(replayOption);
command.Root.Add(recordingOption);
command.Root.Add(onceOption);

command.SetAction(command.Root, async (parse, configuration, cancellation) =>
{
    LocalRunOptions options;
    try
    {
        options = configuration.GetSection(LocalRunOptions.Section).Get<LocalRunOptions>() ?? new LocalRunOptions();
        options.TimeScale = parse.GetValue(timeScaleOption) ?? options.TimeScale;
        if (parse.GetValue(liveOption) && parse.GetValue(replayOption)) throw new ArgumentException("--live and --replay exclude each other.");
        if (parse.GetValue(liveOption)) options.Agent = AgentSource.Live;
        if (parse.GetValue(replayOption)) options.Agent = AgentSource.Replay;
        if (parse.GetValue(recordingOption) is { } recording) (options.Recording, options.Agent) = (recording.FullName, AgentSource.Replay);
        options.Validate();
    }
    catch (ArgumentException e)
    {
        throw new ConfigurationException(e.Message, e);
    }

    return await RunAsync(options, configuration, parse.GetValue(onceOption), cancellation);
});

return await command.InvokeAsync(args);

static async Task<int> RunAsync(LocalRunOptions options, IConfiguration configuration, bool once, CancellationToken cancellation)
{
    // Ctrl-C and SIGTERM stop the run; everything started is then stopped in reverse order.
    using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        stop.Cancel();
    }

    var work = string.IsNullOrEmpty(options.WorkDirectory) ? Path.Combine(RepositoryLayout.Root, ".local") : options.WorkDirectory;
    var logFile = Path.Combine(work, "logs", "wp-local.log");
    using var loggers = LoggerFactory.Create(b => b.AddProvider(new FileLoggerProvider(logFile, LogLevel.Information)));

    AnsiConsole.Write(new Rule("[bold]WorkloadProfiles[/] local pipeline").LeftJustified());
    AnsiConsole.MarkupLine($"[grey]logs in {Markup.Escape(Path.GetDirectoryName(logFile)!)}; Ctrl-C stops everything[/]");

    LocalPipeline? pipeline = null;
    var exitCode = 0;
    try
    {
        await AnsiConsole.Status().StartAsync("starting…", async status =>
        {
            pipeline = await LocalPipeline.StartAsync(options, configuration, new Dictionary<string, string>(), loggers, line =>
            {
                AnsiConsole.MarkupLine($"[green]✓[/] {Markup.Escape(line)}");
                status.Status("starting…");
            }, stop.Token);
        });

        AnsiConsole.Write(new Panel(new Markup(
                $"[bold]{Markup.Escape(pipeline!.ExplorerUrl)}/#token={Markup.Escape(pipeline.ExplorerToken)}[/]\n" +
                $"API token (Authorization: Bearer): {Markup.Escape(pipeline.ExplorerToken)}"))
            .Header("explorer"));

        var summary = await WaitForProfileAsync(pipeline, options.SummaryTimeout, stop.Token);
        PrintSummary(summary, pipeline);
        if (summary.Profiles == 0)
        {
            AnsiConsole.MarkupLine($"[red]no profile formed within {options.SummaryTimeout}[/]; see the logs in {Markup.Escape(pipeline.LogDirectory)}");
            exitCode = 1;
        }
        else if (!once)
        {
            AnsiConsole.MarkupLine("[grey]running; the summary updates as windows close. Ctrl-C stops everything.[/]");
            await FollowAsync(pipeline, summary, stop.Token);
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
        // Ctrl-C
    }
    catch (PrerequisiteException e)
    {
        // Plain and unwrapped on stderr: one line a script or a person can read whole.
        await Console.Error.WriteLineAsync($"wp-local: {e.Message}");
        exitCode = ExitCodes.Prerequisite;
    }
    catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or ArgumentException
                                  or System.Net.Http.HttpRequestException or System.Net.Sockets.SocketException)
    {
        await Console.Error.WriteLineAsync($"wp-local: {e.Message}");
        exitCode = ExitCodes.Failed;
    }
    finally
    {
        if (pipeline is not null)
        {
            AnsiConsole.MarkupLine("stopping…");
            await pipeline.DisposeAsync();
            AnsiConsole.MarkupLine("[green]stopped[/]: broker, stream jobs, sink, explorer, agent and what this run started are down.");
        }
    }

    return exitCode;
}

static async Task<PipelineSummary> WaitForProfileAsync(LocalPipeline pipeline, TimeSpan timeout, CancellationToken cancellationToken)
{
    var deadline = DateTime.UtcNow + timeout;
    var summary = new PipelineSummary(0, 0, 0, 0, 0);
    await AnsiConsole.Status().StartAsync("waiting for the first window to close and a profile to form…", async status =>
    {
        while (DateTime.UtcNow < deadline)
        {
            if (pipeline.Failure.IsCompleted) throw new InvalidOperationException(await pipeline.Failure);
            summary = await PipelineSummary.ReadAsync(pipeline.Database, cancellationToken);
            if (summary.Profiles > 0) return;
            status.Status($"waiting for a profile to form… ({summary.Snapshots} snapshots so far)");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    });
    return summary;
}

static async Task FollowAsync(LocalPipeline pipeline, PipelineSummary last, CancellationToken cancellationToken)
{
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
    while (await timer.WaitForNextTickAsync(cancellationToken))
    {
        if (pipeline.Failure.IsCompleted) throw new InvalidOperationException(await pipeline.Failure);
        var now = await PipelineSummary.ReadAsync(pipeline.Database, cancellationToken);
        if (now == last) continue;
        last = now;
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[grey]{DateTime.Now:HH:mm:ss}[/] profiles formed {now.Profiles} ({now.StableProfiles} Stable), snapshots {now.Snapshots}, " +
            $"signals enriched {now.SignalsEnriched}, suggestions made {now.Suggestions}"));
    }
}

static void PrintSummary(PipelineSummary summary, LocalPipeline pipeline)
{
    var table = new Table().Title("summary").AddColumn("").AddColumn(new TableColumn("").RightAligned()).HideHeaders();
    table.AddRow("profiles formed", $"{summary.Profiles} ({summary.StableProfiles} Stable)");
    table.AddRow("snapshots", summary.Snapshots.ToString(CultureInfo.InvariantCulture));
    table.AddRow("signals enriched", summary.SignalsEnriched.ToString(CultureInfo.InvariantCulture));
    table.AddRow("suggestions made", summary.Suggestions.ToString(CultureInfo.InvariantCulture));
    table.AddRow("agent", Markup.Escape(pipeline.AgentDescription));
    AnsiConsole.Write(table);
    // One plain line for scripts and CI to grep.
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"summary: profiles formed {summary.Profiles}, stable {summary.StableProfiles}, snapshots {summary.Snapshots}, signals enriched {summary.SignalsEnriched}, suggestions made {summary.Suggestions}"));
}
