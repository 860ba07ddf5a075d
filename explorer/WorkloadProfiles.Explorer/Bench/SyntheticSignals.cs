using System.Globalization;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Explorer.Bench;

/// <summary>
/// A cluster's worth of enriched signals for the signals-view benchmark, deterministic for a seed: 24 images of two
/// versions, 36 rules plus the four drift rules, 60 behaviours per image; picks are skewed the way real signals are (a
/// few noisy rule/behaviour pairs produce most of them), about 10 % arrive before their image has a profile, and the
/// signals spread over 30 days, denser lately.
/// </summary>
internal static class SyntheticSignals
{
    private const long Minute = 60_000_000;
    private static readonly string[] DriftRules = ["wp.drift.process", "wp.drift.file", "wp.drift.dns", "wp.drift.network"];

    public static IEnumerable<EnrichedSignal> Generate(int count, long endUs, int seed)
    {
        var random = new Random(seed);
        var images = Enumerable.Range(0, 24).Select(i => $"shop/svc-{i:00}").ToArray();
        var rules = Enumerable.Range(0, 36).Select(i => $"rule-{i:00}").Concat(DriftRules).ToArray();
        var behaviours = images.ToDictionary(i => i, i => Enumerable.Range(0, 60).Select(b => Behaviour(i, b)).ToArray(), StringComparer.Ordinal);
        var span = 30L * 24 * 60 * Minute;
        for (var n = 0; n < count; n++)
        {
            var imageIndex = Skewed(random, images.Length, 2);
            var image = images[imageIndex];
            var ruleIndex = Skewed(random, rules.Length, 2);
            var rule = rules[ruleIndex];
            var (kind, behaviour, nodeId) = behaviours[image][Skewed(random, 60, 3)];
            var tag = random.Next(3) == 0 ? "1.1.0" : "1.2.0";
            var time = endUs - (long)(span * Math.Pow(random.NextDouble(), 2));
            var severity = (Severity)(ruleIndex % 5);
            var signal = new SecuritySignal
            {
                SignalId = string.Create(CultureInfo.InvariantCulture, $"bench-{seed}-{n:0000000}"),
                RuleId = rule,
                RuleName = rule.Replace('-', ' '),
                Severity = severity,
                TimestampUs = time,
                Source = "rules",
                Container = new ContainerRef(string.Create(CultureInfo.InvariantCulture, $"{imageIndex:x8}{random.Next(40):x4}"), image, tag),
                HostName = string.Create(CultureInfo.InvariantCulture, $"node-{random.Next(12):00}"),
                Message = $"{rule} in {image}",
                Behaviour = behaviour,
            };
            yield return Enrich(signal, kind, nodeId, random.Next(10) == 0, rule.StartsWith("wp.drift.", StringComparison.Ordinal));
        }
    }

    private static EnrichedSignal Enrich(SecuritySignal signal, NodeKind kind, ulong nodeId, bool withoutProfile, bool drift)
    {
        var container = signal.Container;
        if (withoutProfile)
        {
            return new EnrichedSignal { Signal = signal, NoSuggestionReason = $"no profile for {container.ImageName}@{container.ImageTag}", EnrichedAtUs = signal.TimestampUs + 1000 };
        }
        var commonality = (nodeId % 10) / 9.0;
        var suggest = !drift && commonality >= 0.8;
        return new EnrichedSignal
        {
            Signal = signal,
            Profile = new ProfileContext
            {
                ImageName = container.ImageName!, ImageTag = container.ImageTag!, Status = ProfileStatus.Stable, SnapshotCount = 200,
                ProfileCommonality = 0.9, BehaviourInProfile = !drift, NodeId = nodeId, NodeCommonality = drift ? null : commonality,
                NodeContainerCommonality = drift ? null : commonality, ProfileLink = $"/profiles/{container.ImageName}/{container.ImageTag}",
            },
            Suggestion = suggest
                ? new SuppressionSuggestion
                {
                    RuleId = signal.RuleId, ImageName = container.ImageName!, NodeId = nodeId,
                    Expression = SuggestionMatcher.Expression(container.ImageName!, nodeId), Description = $"{kind} behaviour {nodeId:x16}",
                    Evidence = new SuggestionEvidence(commonality, commonality, 200, signal.TimestampUs - 1000 * Minute, signal.TimestampUs),
                }
                : null,
            NoSuggestionReason = suggest ? null : drift ? "drift signals are never suggested" : "node commonality is below the threshold",
            EnrichedAtUs = signal.TimestampUs + 1000,
        };
    }

    private static (NodeKind Kind, Behaviour Behaviour, ulong NodeId) Behaviour(string image, int index)
    {
        var process = new ProcessRef($"/usr/bin/worker-{index % 7}", [$"worker-{index % 7}", "--serve"]);
        var kind = (NodeKind)(index % 4);
        var behaviour = kind switch
        {
            NodeKind.File => new Behaviour { Kind = kind, Ancestry = [process], FilePath = $"/srv/{image}/data/file-{index}.db", Access = FileAccessMode.Read },
            NodeKind.Dns => new Behaviour { Kind = kind, Ancestry = [process], DnsQuestionName = $"svc-{index}.internal.example" },
            NodeKind.Network => new Behaviour
            {
                Kind = kind, Ancestry = [process], Transport = NetworkTransport.Tcp, DestinationAddress = $"10.0.{index}.1", DestinationPort = 5000 + index,
            },
            _ => new Behaviour { Kind = kind, Ancestry = [process, new ProcessRef($"/bin/tool-{index}", [$"tool-{index}"])] },
        };
        return (kind, behaviour, NodeIdentity.Compute(NodeIdentity.Root, kind, $"{image}#{index}"));
    }

    /// <summary>An index in [0, n) where low indexes are much likelier (power <paramref name="skew"/> of a uniform draw).</summary>
    private static int Skewed(Random random, int n, double skew) => Math.Min(n - 1, (int)(n * Math.Pow(random.NextDouble(), skew)));
}
