using System.CommandLine;
using WorkloadProfiles.Hosting;
using WorkloadProfiles.Streams;
using WorkloadProfiles.Streams.Host;

// wp-streams: runs the selected stream jobs until SIGINT/SIGTERM, then closes the stream (committing what it processed)
// and exits 0. Exit codes (README "Exit codes"): 1 the stream failed, 2 bad configuration or rules, 3 Kafka unreachable,
// the state directory unwritable or the HTTP port in use.
var command = new ServiceCommand("wp-streams",
    "Runs the WorkloadProfiles stream jobs (snapshots, profiles, detection, enrichment) against Kafka until SIGINT/SIGTERM. " +
    "Configuration keys can be given as --Section:Key value (e.g. --Streams:Jobs detection,enrichment).");
command.SetAction(command.Root, (_, configuration, cancellation) => StreamsService.RunAsync(configuration, cancellation));

var batches = ServiceCommand.NumberOption<int>("--batches", "Raw batches to produce (default 20000)");
var eventsPerBatch = ServiceCommand.NumberOption<int>("--events-per-batch", "Events in each batch (default 100)");
var jobs = new Option<string?>("--jobs") { Description = "Jobs to measure, as Streams:Jobs (default snapshots,detection)" };
var benchContainers = ServiceCommand.NumberOption<int>("--containers", "Containers the batches come from (default 64)");
var warmUpRounds = ServiceCommand.NumberOption<int>("--warm-up-rounds", "Rounds run first and not reported (default 1)");
var bench = new Command("bench", "Measure the stream jobs against a raw consume of the same records on an in-process broker (BENCH.md)")
{
    batches, eventsPerBatch, jobs, benchContainers, warmUpRounds,
};
command.SetAction(bench, (parse, configuration, _) => PipelineBenchmark.RunAsync(
    parse.GetValue(batches) ?? 20_000,
    parse.GetValue(eventsPerBatch) ?? 100,
    parse.GetValue(jobs) is { } selected ? StreamsHostSettings.ParseJobs(selected) : StreamJobs.Snapshots | StreamJobs.Detection,
    parse.GetValue(benchContainers) ?? 64,
    warmUpRounds: parse.GetValue(warmUpRounds) ?? 1,
    // The pipeline runs with the host's settings where the bench has no reason to differ (e.g. --Streams:Compression none).
    compression: StreamsHostSettings.From(configuration).Compression));
command.Root.Add(bench);

var seconds = ServiceCommand.NumberOption<double>("--seconds", "Seconds of steady input per rate (default 20)");
var warmUp = ServiceCommand.NumberOption<double>("--warm-up", "Seconds of input at 1,000 signals/s before the measured rates, not reported (default 5)");
var rates = new Option<string?>("--rates") { Description = "Signals per second to measure, comma-separated (default 0,10,1000,10000; 0 measures wp-streams idle)" };
var containers = ServiceCommand.NumberOption<int>("--containers", "Containers the batches come from (default 64)");
var images = ServiceCommand.NumberOption<int>("--images", "Images of those containers, one seeded profile each (default 8)");
var childEnvironment = new Option<string[]>("--child-env")
{
    Description = "NAME=VALUE set in the environment of the wp-streams under test, e.g. WP_Streams__PollMs=100 (repeatable)",
    AllowMultipleArgumentsPerToken = false,
};
var agentFlush = new Option<bool>("--agent-flush")
{
    Description = "Instead: read wp.events.raw at --bootstrap for --seconds, kernel event -> batch produced (bench/agent/flush-latency.sh)",
};
var live = new Option<bool>("--live")
{
    Description = "Instead: read wp.signals.enriched at --bootstrap for --seconds, kernel event -> enriched signal (bench/agent/flush-latency.sh)",
};
var bootstrap = new Option<string?>("--bootstrap") { Description = "Kafka of a running agent and wp-streams, for --agent-flush and --live" };
var latencyBench = new Command("latency-bench",
    "Raw batch produced -> enriched signal read, p50/p99/max at steady rates, with wp-streams running as a child process (BENCH.md)")
{
    seconds, warmUp, rates, containers, images, childEnvironment, agentFlush, live, bootstrap,
};
command.SetAction(latencyBench, (parse, _, _) => parse.GetValue(agentFlush) || parse.GetValue(live)
    ? Task.FromResult(parse.GetValue(bootstrap) is not { } servers
        ? throw new ConfigurationException("--agent-flush and --live read a running pipeline: give its --bootstrap HOST:PORT")
        : parse.GetValue(live)
            ? LatencyBenchmark.LiveSignals(servers, TimeSpan.FromSeconds(parse.GetValue(seconds) ?? 10))
            : LatencyBenchmark.AgentFlush(servers, TimeSpan.FromSeconds(parse.GetValue(seconds) ?? 10)))
    : LatencyBenchmark.RunAsync(new LatencyBenchmark.Options(
    parse.GetValue(seconds) ?? 20,
    parse.GetValue(warmUp) ?? 5,
    [.. (parse.GetValue(rates) ?? "0,10,1000,10000").Split(',').Select(r => int.Parse(r, System.Globalization.CultureInfo.InvariantCulture))],
    parse.GetValue(containers) ?? 64,
    parse.GetValue(images) ?? 8,
    [.. (parse.GetValue(childEnvironment) ?? []).Select(e => e.Split('=', 2)).Select(kv => (kv[0], kv.Length > 1 ? kv[1] : ""))])));
command.Root.Add(latencyBench);

return await command.InvokeAsync(args);
