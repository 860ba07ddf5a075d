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
var bench = new Command("bench", "Measure the stream jobs against a raw consume of the same records on an in-process broker (BENCH.md)")
{
    batches, eventsPerBatch, jobs,
};
command.SetAction(bench, (parse, _, _) => PipelineBenchmark.RunAsync(
    parse.GetValue(batches) ?? 20_000,
    parse.GetValue(eventsPerBatch) ?? 100,
    parse.GetValue(jobs) is { } selected ? StreamsHostSettings.ParseJobs(selected) : StreamJobs.Snapshots | StreamJobs.Detection));
command.Root.Add(bench);

return await command.InvokeAsync(args);
