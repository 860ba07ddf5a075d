using WorkloadProfiles.Domain.Profiles;
using Xunit.Abstractions;

namespace WorkloadProfiles.DetectionQuality.Tests;

/// <summary>
/// The detection-quality gate over the recorded corpus (bench/WorkloadProfiles.DetectionQuality/corpus, recorded live with
/// the eBPF agent by <c>wp-quality record</c>): replayed through snapshots, profiles, the default rules and suggestions.
/// </summary>
public sealed class CorpusReplayTests(ITestOutputHelper output)
{
    private static readonly Lazy<QualityReport> Report = new(() => Evaluation.Run(Path.Combine(AppContext.BaseDirectory, "corpus")));

    [Fact]
    public void NoAttackSignalIsSuggested()
    {
        var report = Report.Value;
        output.WriteLine(report.ToMarkdown());
        Assert.NotEmpty(report.Attack);
        var suggested = report.Attack.Where(s => s.Suggested)
            .Select(s => $"{s.AttackStep}: {s.Signal.Signal.RuleId} {s.Signal.Suggestion!.Expression}").ToList();
        Assert.True(suggested.Count == 0, "attack signals suggested:\n" + string.Join('\n', suggested));
        Assert.Empty(report.FullySuggested);
    }

    [Fact]
    public void BenignRepeatsAreStillSuggested()
    {
        var report = Report.Value;
        Assert.NotEmpty(report.Benign);
        var why = string.Join('\n', report.MissedReasons(10).Select(r => $"{r.Count} × {r.Reason}"));
        Assert.True(report.Recall >= QualityReport.RequiredRecall,
            $"benign recall {report.Recall:P1} ({report.BenignSuggested}/{report.Benign.Count}) is below {QualityReport.RequiredRecall:P0}; misses:\n{why}");
    }

    [Fact]
    public void BenignRepeatsRaiseNoDriftAndEveryAttackStepIsSeen()
    {
        var report = Report.Value;
        var falseDrift = string.Join('\n', report.FalseDriftReasons(10).Select(r => $"{r.Count} × {r.Drift}"));
        Assert.True(report.FalseDrift.Count == 0, "drift on benign behaviour:\n" + falseDrift);
        Assert.Empty(report.Gaps);
        // Drift sees what no rule is about: at least one step is caught by drift alone, never suggested.
        Assert.Contains(report.Steps, s => s.Signals > 0 && s.Drift == s.Signals);
        Assert.DoesNotContain(report.Attack, s => s.IsDrift && s.Suggested);
    }

    [Fact]
    public void TheCorpusIsWhatItClaims()
    {
        var report = Report.Value;
        // Every profile learnt to Stable, every attack step really ran in the recording.
        Assert.All(report.Profiles, p => Assert.Equal(ProfileStatus.Stable, p.Profile.Status));
        Assert.Empty(report.NotRun);
        // The corpus exercises argument-awareness: attacks that land on a node the profile knows as common (suggested
        // under a node-only rule) exist, and none of them is suggested.
        var onCommonNodes = report.Attack.Where(s => s.Signal.Profile is { BehaviourInProfile: true } p
            && p.NodeCommonality >= p.Threshold).ToList();
        Assert.True(onCommonNodes.Count > 0, "no attack signal lands on a common profile node: the corpus does not test argument signatures");
        Assert.DoesNotContain(onCommonNodes, s => s.Suggested);
        // Benign behaviour of the attacked containers is labelled benign, not swallowed into the attack label.
        Assert.Contains(report.Benign, s => s.Role == Corpus.ContainerRole.Attack);
    }

    [Fact]
    public void ReplayIsDeterministic()
    {
        var again = Evaluation.Run(Path.Combine(AppContext.BaseDirectory, "corpus"));
        Assert.Equal(Report.Value.ToMarkdown(), again.ToMarkdown());
        Assert.Equal(Report.Value.Signals.Select(s => s.Signal.Signal.SignalId), again.Signals.Select(s => s.Signal.Signal.SignalId));
    }
}
