using System.Globalization;
using System.Text;
using WorkloadProfiles.DetectionQuality.Corpus;
using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.DetectionQuality;

/// <summary>The figures of one replay: suggestion recall on benign behaviour, suggestions on attacks, detection per step.</summary>
public sealed class QualityReport
{
    /// <summary>The benign recall the product promises (issue 13): ≥ 95 % of benign repeats' signals suggested.</summary>
    public const double RequiredRecall = 0.95;

    public QualityReport(Manifest manifest, IReadOnlyList<ProfileOutcome> profiles, IReadOnlyList<LabelledSignal> signals, IReadOnlySet<string> stepsRun)
    {
        Manifest = manifest;
        Profiles = profiles;
        Signals = signals;
        Benign = [.. signals.Where(s => !s.IsAttack && !s.IsDrift)];
        FalseDrift = [.. signals.Where(s => !s.IsAttack && s.IsDrift)];
        Attack = [.. signals.Where(s => s.IsAttack)];
        Steps = [.. manifest.Attacks.Select(step =>
        {
            var raised = Attack.Where(s => s.AttackStep == step.Name).ToList();
            return new StepOutcome(step, stepsRun.Contains(step.Name), raised.Count, raised.Count(s => s.Suggested), raised.Count(s => s.IsDrift),
                [.. raised.Select(s => s.Signal.Signal.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);
        })];
    }

    public Manifest Manifest { get; }
    public IReadOnlyList<ProfileOutcome> Profiles { get; }
    public IReadOnlyList<LabelledSignal> Signals { get; }
    /// <summary>Rule signals of benign behaviour (what recall is measured on).</summary>
    public IReadOnlyList<LabelledSignal> Benign { get; }
    /// <summary>Drift signals on benign behaviour: the profile missed something normal.</summary>
    public IReadOnlyList<LabelledSignal> FalseDrift { get; }
    public IReadOnlyList<LabelledSignal> Attack { get; }
    public IReadOnlyList<StepOutcome> Steps { get; }

    public int BenignSuggested => Benign.Count(s => s.Suggested);
    public double Recall => Benign.Count == 0 ? 0 : (double)BenignSuggested / Benign.Count;
    public int AttackSuggested => Attack.Count(s => s.Suggested);
    /// <summary>Steps that raised signals, every one of them suggested: the analyst would be told to silence the whole attack.</summary>
    public IReadOnlyList<StepOutcome> FullySuggested => [.. Steps.Where(s => s.Signals > 0 && s.Suggested == s.Signals)];
    /// <summary>Steps that raised no rule signal: what the default rules alone do not see.</summary>
    public IReadOnlyList<StepOutcome> RuleGaps => [.. Steps.Where(s => s.Signals - s.Drift == 0)];
    /// <summary>Steps that raised no signal at all, rules or drift.</summary>
    public IReadOnlyList<StepOutcome> Gaps => [.. Steps.Where(s => s.Signals == 0)];
    /// <summary>Steps whose entry point never appeared in the recording: the scenario did not run them (a broken corpus).</summary>
    public IReadOnlyList<StepOutcome> NotRun => [.. Steps.Where(s => !s.Ran)];

    public bool Passed => Benign.Count > 0 && Recall >= RequiredRecall && AttackSuggested == 0 && FullySuggested.Count == 0 && NotRun.Count == 0
        && FalseDrift.Count == 0 && Profiles.All(p => p.Profile.Status == ProfileStatus.Stable);

    /// <summary>The report as Markdown: the summary table the README quotes, then per rule, per step and per profile.</summary>
    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var containers = Manifest.Containers.GroupBy(x => x.Role).ToDictionary(g => g.Key, g => g.Count());
        text.AppendLine(c, $"Corpus recorded {Manifest.RecordedAt:yyyy-MM-dd} on {Manifest.Kernel}: {Profiles.Count} images, " +
            $"{containers.GetValueOrDefault(ContainerRole.Learning)} learning / {containers.GetValueOrDefault(ContainerRole.Repeat)} repeat / " +
            $"{containers.GetValueOrDefault(ContainerRole.Attack)} attacked containers, {Manifest.Attacks.Count} attack steps, {Manifest.WindowSeconds} s windows.");
        text.AppendLine();
        text.AppendLine("| measure | value | goal |");
        text.AppendLine("|---|---:|---|");
        text.AppendLine(c, $"| benign signals suggested (recall) | {BenignSuggested} / {Benign.Count} = {Recall:P1} | ≥ {RequiredRecall:P0} |");
        text.AppendLine(c, $"| attack signals suggested | {AttackSuggested} / {Attack.Count} | 0 |");
        text.AppendLine(c, $"| attack steps with no unsuppressed signal | {FullySuggested.Count} / {Steps.Count} | 0 |");
        text.AppendLine(c, $"| attack steps with no signal at all, rules or drift (gaps) | {Gaps.Count} / {Steps.Count} | listed below |");
        text.AppendLine(c, $"| attack steps with no rule signal (seen by drift alone or not at all) | {RuleGaps.Count} / {Steps.Count} | — |");
        text.AppendLine(c, $"| drift signals on benign behaviour (false drift) | {FalseDrift.Count} | 0 |");
        text.AppendLine(c, $"| drift signals on attacks | {Attack.Count(s => s.IsDrift)} / {Attack.Count} | — |");
        text.AppendLine();

        text.AppendLine("| rule | benign signals | suggested | attack signals | suggested |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var rule in Signals.GroupBy(s => s.Signal.Signal.RuleId).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.AppendLine(c, $"| {rule.Key} | {rule.Count(s => !s.IsAttack)} | {rule.Count(s => !s.IsAttack && s.Suggested)} | " +
                $"{rule.Count(s => s.IsAttack)} | {rule.Count(s => s.IsAttack && s.Suggested)} |");
        }
        text.AppendLine();

        text.AppendLine("| attack step | technique | image | signals | of which drift | suggested | rules |");
        text.AppendLine("|---|---|---|---:|---:|---:|---|");
        foreach (var step in Steps)
        {
            var rules = step.Ran ? (step.Rules.Count == 0 ? "**gap: no signal**" : string.Join(", ", step.Rules)) : "**not run**";
            text.AppendLine(c, $"| {step.Step.Name} | {step.Step.Technique} | {step.Step.Image} | {step.Signals} | {step.Drift} | {step.Suggested} | {rules} |");
        }
        text.AppendLine();

        text.AppendLine("| profile | status | snapshots | nodes | signatures | bytes | bytes without signatures |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var p in Profiles)
        {
            var signatures = p.Profile.Nodes.Sum(n => n.Signatures.Count);
            text.AppendLine(c, $"| {p.Profile.Key.ImageName}:{p.Profile.Key.ImageTag} | {p.Profile.Status} | {p.LearningSnapshots} | " +
                $"{p.Profile.Nodes.Count} | {signatures} | {p.Bytes:N0} | {p.BytesWithoutSignatures:N0} (×{(double)p.Bytes / p.BytesWithoutSignatures:0.00}) |");
        }
        return text.ToString();
    }

    /// <summary>What drifted on benign behaviour, most frequent first: where a profile missed something normal.</summary>
    public IEnumerable<(string Drift, int Count)> FalseDriftReasons(int top) =>
        FalseDrift.GroupBy(s => s.Signal.Signal.Message[..Math.Min(200, s.Signal.Signal.Message.Length)])
            .Select(g => (g.Key, g.Count())).OrderByDescending(g => g.Item2).Take(top);

    /// <summary>Why benign signals went unsuggested, most frequent first: where recall is lost.</summary>
    public IEnumerable<(string Reason, int Count)> MissedReasons(int top) =>
        Benign.Where(s => !s.Suggested)
            .GroupBy(s => $"{s.Signal.Signal.RuleId}: {s.Signal.NoSuggestionReason}")
            .Select(g => (g.Key, g.Count()))
            .OrderByDescending(g => g.Item2)
            .Take(top);
}

/// <summary>What one attack step raised.</summary>
public sealed record StepOutcome(AttackStep Step, bool Ran, int Signals, int Suggested, int Drift, IReadOnlyList<string> Rules);
