using System.CommandLine;
using WorkloadProfiles.DetectionQuality;

// wp-quality replay [--corpus DIR] [--why N]: prints the detection-quality table of the committed corpus; exits 1 when a goal
// is missed. wp-quality record [--out DIR]: re-records the corpus live (root, podman, the eBPF sensor).
var defaultCorpus = Path.Combine(AppContext.BaseDirectory, "corpus");
var corpus = new Option<DirectoryInfo>("--corpus") { Description = "Corpus directory (manifest.json, corpus.avro)", DefaultValueFactory = _ => new DirectoryInfo(defaultCorpus) };
var why = new Option<int>("--why") { Description = "Also list the N most frequent reasons a benign signal got no suggestion", DefaultValueFactory = _ => 0 };
var output = new Option<DirectoryInfo>("--out")
{
    Description = "Where to write the corpus (default: the repository's bench/WorkloadProfiles.DetectionQuality/corpus)",
    DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Recorder.RepositoryRoot(), "bench", "WorkloadProfiles.DetectionQuality", "corpus")),
};

var replay = new Command("replay", "Replay the recorded corpus through snapshots, profiles, detection and suggestions; print the table") { corpus, why };
replay.SetAction(result =>
{
    var directory = result.GetValue(corpus)!.FullName;
    if (!File.Exists(Path.Combine(directory, WorkloadProfiles.DetectionQuality.Corpus.Manifest.ManifestFile)))
    {
        Console.Error.WriteLine($"wp-quality: no corpus in {directory} (expected manifest.json and corpus.avro; `wp-quality record` makes one)");
        return 2;
    }
    var report = Evaluation.Run(directory);
    Console.Write(report.ToMarkdown());
    var top = result.GetValue(why);
    if (top > 0)
    {
        Console.WriteLine();
        Console.WriteLine("| benign signals without a suggestion, by reason | count |");
        Console.WriteLine("|---|---:|");
        foreach (var (reason, count) in report.MissedReasons(top)) Console.WriteLine($"| {reason.Replace("|", "\\|", StringComparison.Ordinal)} | {count} |");
        Console.WriteLine();
        Console.WriteLine("| false drift | count |");
        Console.WriteLine("|---|---:|");
        foreach (var (drift, count) in report.FalseDriftReasons(top)) Console.WriteLine($"| {drift.Replace("|", "\\|", StringComparison.Ordinal)} | {count} |");
    }
    Console.WriteLine();
    Console.WriteLine(report.Passed ? "PASS" : "FAIL: a goal above is missed");
    return report.Passed ? 0 : 1;
});

var recordCommand = new Command("record", "Record the corpus live with wp-agent (needs root, podman, busybox-static; about 5 minutes)") { output };
recordCommand.SetAction((result, token) => new Recorder(result.GetValue(output)!.FullName, Console.Out).RunAsync(token));

var root = new RootCommand("WorkloadProfiles detection-quality benchmark") { replay, recordCommand };
return await root.Parse(args).InvokeAsync();
