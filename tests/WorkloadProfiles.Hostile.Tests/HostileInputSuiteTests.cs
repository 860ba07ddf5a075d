using WorkloadProfiles.Contracts;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Snapshots;
using Xunit.Abstractions;

namespace WorkloadProfiles.Hostile.Tests;

/// <summary>
/// The hostile-input suite. Over 1,000 hostile records on every consumed topic — random bytes, truncations, unknown and
/// foreign fingerprints, non-UTF-8 strings, records over the codec and over the broker limit, impossible times and pids,
/// a 10k-deep process chain, a million distinct paths in one container — interleaved with valid traffic, sent to the
/// pipeline's real processes on the broker command and the real ClickHouse. No process may exit, every hostile record
/// must be dead-lettered with a reason, every valid record must reach ClickHouse, memory must stay bounded; and a run
/// in which each job and the sink are SIGKILLed in turn must end with the same results as a run without kills.
/// </summary>
public sealed class HostileInputSuiteTests(ITestOutputHelper output)
{
    const long MaxRssBytes = 1536L * 1024 * 1024;

    [Fact]
    public async Task Hostile_input_never_stops_the_pipeline_never_costs_a_valid_record_and_kills_change_nothing()
    {
        var workload = new Workload(seed: 15, Workload.BaseNow());
        Assert.True(workload.Records.Count(r => r.Fate == Fate.DeadLettered) >= 1_000);
        Assert.All(Workload.AvroTopics.Append("wp.falco"), topic => Assert.Contains(workload.Records, r => r.Topic == topic && r.Fate == Fate.DeadLettered));

        var steady = await SuiteRun.RunAsync(workload, killEachMember: false, output);
        output.WriteLine("Uninterrupted run:\n" + SuiteRun.Table(workload, steady));
        AssertHostileInputHandled(workload, steady);

        var killed = await SuiteRun.RunAsync(workload, killEachMember: true, output);
        output.WriteLine("Run with each job and the sink SIGKILLed once:\n" + SuiteRun.Table(workload, killed));
        AssertHostileInputHandled(workload, killed);
        Assert.All(killed.Kills, k => Assert.Equal(1, k.Value));

        // The same final results as the run without kills: nothing lost, nothing counted twice.
        var onlySteady = steady.ProfileNodes.Keys.Except(killed.ProfileNodes.Keys).Order(StringComparer.Ordinal).Take(20).ToList();
        var onlyKilled = killed.ProfileNodes.Keys.Except(steady.ProfileNodes.Keys).Order(StringComparer.Ordinal).Take(20).ToList();
        Assert.True(onlySteady.Count == 0 && onlyKilled.Count == 0,
            $"profile nodes differ; only without kills: {string.Join(" | ", onlySteady.Select(k => $"{k} r{steady.ProfileNodes[k]}"))}; " +
            $"only with kills: {string.Join(" | ", onlyKilled.Select(k => $"{k} r{killed.ProfileNodes[k]}"))}; " +
            $"profiles without kills {string.Join(", ", steady.Profiles.Select(p => $"{p.Key}={p.Value}"))}; with kills {string.Join(", ", killed.Profiles.Select(p => $"{p.Key}={p.Value}"))}");
        Assert.Equal(steady.TableCounts, killed.TableCounts);
        Assert.Equal(steady.Snapshots.OrderBy(s => s.Key, StringComparer.Ordinal), killed.Snapshots.OrderBy(s => s.Key, StringComparer.Ordinal));
        Assert.Equal(steady.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal), killed.Profiles.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(steady.Signals.Order(StringComparer.Ordinal), killed.Signals.Order(StringComparer.Ordinal));
        Assert.Equal(steady.Suppressions.Order(StringComparer.Ordinal), killed.Suppressions.Order(StringComparer.Ordinal));
        Assert.Equal(steady.Containers.Order(StringComparer.Ordinal), killed.Containers.Order(StringComparer.Ordinal));
        Assert.Equal(steady.DeadLetterSet.Order(StringComparer.Ordinal), killed.DeadLetterSet.Order(StringComparer.Ordinal));
    }

    void AssertHostileInputHandled(Workload workload, SuiteOutcome outcome)
    {
        // No process exited: each stopped cleanly on SIGTERM at the end (kills were ours, and each was restarted).
        Assert.All(outcome.StopExitCodes, e => Assert.True(e.Value == 0, $"{e.Key} exited {e.Value} on SIGTERM"));
        Assert.All(outcome.PeakRss, p => Assert.InRange(p.Value, 1, MaxRssBytes));

        // Every hostile record is dead-lettered, with a reason it deserves; nothing valid is; nothing failed in processing.
        var byPosition = outcome.DeadLetters.ToLookup(d => (d.SourceTopic, d.Partition, d.Offset));
        foreach (var record in workload.Records)
        {
            var letters = byPosition[(record.Topic, record.Partition, record.Offset)].ToList();
            if (record.Fate == Fate.DeadLettered)
            {
                Assert.True(letters.Count > 0, $"{record.Kind} on {record.Topic} ({record.Partition}@{record.Offset}) was not dead-lettered");
                Assert.All(letters, l => Assert.True(record.Reasons.Contains(l.Reason),
                    $"{record.Kind} on {record.Topic} dead-lettered by {l.Consumer} as {l.Reason} ({l.Detail}); expected one of {string.Join(", ", record.Reasons)}"));
            }
            else
            {
                Assert.True(letters.Count == 0,
                    $"{record.Fate} {record.Kind} on {record.Topic} was dead-lettered: {string.Join("; ", letters.Select(l => $"{l.Consumer} {l.Reason} {l.Detail}"))}");
            }
        }

        var ours = workload.Records.Select(r => (r.Topic, r.Partition, r.Offset)).ToHashSet();
        Assert.All(outcome.DeadLetters, l => Assert.True(ours.Contains((l.SourceTopic, l.Partition, l.Offset)),
            $"{l.Consumer} dead-lettered a record the pipeline made: {l.SourceTopic} {l.Partition}@{l.Offset} {l.Reason} {l.Detail}"));
        Assert.All(outcome.DeadLetters, l => Assert.True(l.ValueSize >= 0 && l.ValueSha256.Length is 0 or 64 && (l.Value?.Length ?? 0) <= 64 * 1024,
            $"an unbounded dead letter: {l.Reason} {l.ValueSize}"));

        // Every valid record reached ClickHouse: its snapshots, the profiles merging them, the signals it raised or was.
        var snapshots = outcome.Snapshots.Keys.Where(id => !id.StartsWith("h-", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(workload.Valid.Snapshots.Order(StringComparer.Ordinal), snapshots.Order(StringComparer.Ordinal));
        foreach (var (key, count) in workload.Valid.ProfileSnapshots)
        {
            Assert.True(outcome.Profiles.TryGetValue(key, out var profile), $"no profile {key} in ClickHouse");
            Assert.Equal((ulong)count, profile.Snapshots);
        }

        Assert.Equal(ExpectedSignals(workload).Order(StringComparer.Ordinal),
            outcome.Signals.Where(id => !id.StartsWith("h-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Superset(workload.Valid.Suppressions, outcome.Suppressions.ToHashSet());
        Assert.Equal(workload.Valid.Containers.Order(StringComparer.Ordinal),
            outcome.Containers.Where(id => !id.StartsWith("h-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        // The legal stress loads were processed and bounded, their truncation counted.
        var storm = outcome.Snapshots[ActivitySnapshot.MakeId("s-path-storm", workload.Records.First(r => r.Kind == "1M distinct paths").TimestampMs!.Value / 60_000 * 60_000_000)];
        Assert.Equal((ulong)Workload.StormPaths + 2, storm.Events);
        Assert.True(storm.Truncated && storm.Dropped > 0 && storm.Nodes + storm.Dropped >= 900_000, $"path storm snapshot: {storm}");
        Assert.True(outcome.Profiles.ContainsKey("stress/storm@1.0") && outcome.Profiles.ContainsKey("stress/deep@1.0") && outcome.Profiles.ContainsKey("stress/deeptree@1.0"));
    }

    /// <summary>The signals the valid input must end as: those sent as signals or enriched signals, the valid Falco alerts, and what the
    /// default rules raise from the valid raw batches (computed here by the same engine, in-process).</summary>
    static IReadOnlySet<string> ExpectedSignals(Workload workload)
    {
        var engine = new DetectionEngine(RuleSet.Load(DetectionOptions.Default));
        var expected = new HashSet<string>(workload.Valid.Signals, StringComparer.Ordinal);
        foreach (var batch in workload.Valid.RawBatches)
        {
            expected.UnionWith(engine.Evaluate(batch).Select(s => s.SignalId));
        }

        return expected;
    }
}
