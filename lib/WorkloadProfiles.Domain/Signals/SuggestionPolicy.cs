using System.Globalization;
using System.Text;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Normalization;
using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Domain.Signals;

/// <summary>When a signal's behaviour is normal enough to suggest suppressing (DESIGN "Suppression suggestion"): the node
/// known and common, and every process of its ancestry run with argument signatures its node knows as commonly.</summary>
public sealed record SuggestionPolicy
{
    /// <summary>Minimum node commonality (default 0.8).</summary>
    public double MinNodeCommonality { get; init; } = 0.8;
    /// <summary>A Learning profile may suggest once it has at least this many snapshots.</summary>
    public int MinLearningSnapshots { get; init; } = 50;
    /// <summary>Path of the explorer's profile page; {image} and {tag} are URL-escaped.</summary>
    public string ProfileLinkTemplate { get; init; } = "/profiles/{image}/{tag}";
    /// <summary>The key cap the snapshots were built with (<see cref="Snapshots.SnapshotLimits.MaxKeyLength"/>), so long keys hash alike.</summary>
    public int MaxKeyLength { get; init; } = NodeIdentity.DefaultMaxKeyLength;
    public static SuggestionPolicy Default { get; } = new();
}

/// <summary>Matches a signal against a profile: profile context always (when a profile exists), a suggestion when the policy allows.</summary>
/// <remarks>
/// The behaviour maps to a node id exactly as the snapshot builder computes it. For a file the matcher also tries the
/// sibling pattern (<see cref="SiblingCollapse.PatternFor"/>) under the same process when the exact path is not in the profile,
/// since snapshots collapse many same-shaped files into <c>dir/*.ext</c>; the suggestion is then scoped to that pattern node.
/// Thread-safe: holds only the policy; profile indexes are cached per <see cref="SecurityProfile"/> instance.
/// </remarks>
public sealed class SuggestionMatcher
{
    public SuggestionMatcher(SuggestionPolicy? policy = null)
    {
        Policy = policy ?? SuggestionPolicy.Default;
        if (Policy.MinNodeCommonality is < 0 or > 1 || double.IsNaN(Policy.MinNodeCommonality))
            throw new ArgumentOutOfRangeException(nameof(policy), Policy.MinNodeCommonality, "MinNodeCommonality must be within [0, 1]");
        ArgumentOutOfRangeException.ThrowIfNegative(Policy.MinLearningSnapshots, "policy.MinLearningSnapshots");
    }

    public SuggestionPolicy Policy { get; }

    /// <param name="profile">The profile of the signal's image@version, or null when none exists yet.</param>
    public EnrichedSignal Enrich(SecuritySignal signal, SecurityProfile? profile, long nowUs) =>
        Enrich(signal, profile is null ? null : ProfileIndex.For(profile), nowUs);

    /// <param name="profile">The indexed profile of the signal's image@version, or null when none exists yet.</param>
    public EnrichedSignal Enrich(SecuritySignal signal, ProfileIndex? profile, long nowUs)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var container = signal.Container;
        if (profile is null)
        {
            return new EnrichedSignal
            {
                Signal = signal,
                NoSuggestionReason = container.HasImage ? $"no profile for {container.ProfileKey}" : $"no profile: the image of container {container.Id} is unresolved",
                EnrichedAtUs = nowUs,
            };
        }

        var p = profile.Profile;
        if (container.ProfileKey is not { } key || key != p.Key)
        {
            return new EnrichedSignal
            {
                Signal = signal,
                NoSuggestionReason = $"profile {p.Key} is not the profile of the signal's image {container.ImageName}@{container.ImageTag}",
                EnrichedAtUs = nowUs,
            };
        }

        var behaviour = signal.Behaviour;
        var process = NodeIdentity.ProcessNodeOf(behaviour.Ancestry, Policy.MaxKeyLength);
        var leafKey = NodeIdentity.LeafKeyOf(behaviour);
        var nodeId = leafKey is null ? process : NodeIdentity.Compute(process, behaviour.Kind, NodeIdentity.TruncateKey(leafKey, Policy.MaxKeyLength));
        if (!profile.TryGetNode(nodeId, out var node) && behaviour.Kind == NodeKind.File && leafKey is not null)
        {
            var patternId = NodeIdentity.Compute(process, NodeKind.File, NodeIdentity.TruncateKey(SiblingCollapse.PatternFor(leafKey), Policy.MaxKeyLength));
            if (profile.TryGetNode(patternId, out node)) nodeId = patternId;
        }

        var closest = node is null ? ClosestKnown(behaviour.Ancestry, profile) : null;
        var context = new ProfileContext
        {
            ImageName = p.Key.ImageName,
            ImageTag = p.Key.ImageTag,
            Status = p.Status,
            SnapshotCount = p.SnapshotCount,
            ProfileCommonality = p.Commonality,
            LastUpdatedUs = p.LastUpdatedUs,
            BehaviourInProfile = node is not null,
            NodeId = nodeId,
            NodeCommonality = node?.Commonality,
            NodeContainerCommonality = node?.ContainerCommonality,
            NodeFirstSeenUs = node?.FirstSeenUs,
            NodeLastSeenUs = node?.LastSeenUs,
            ProfileLink = ProfileLink(p.Key),
            Threshold = Policy.MinNodeCommonality,
            ClosestKnownNodeId = closest?.Id,
            ClosestKnownNodeKey = closest?.Key,
        };
        var signatures = NodeIdentity.SignaturesOf(behaviour.Ancestry);
        var signatureCommonality = 1.0;
        var reason = DriftRules.IsDrift(signal.RuleId)
            ? "drift signals are never suggested: the behaviour is what the Stable profile never saw; allow it in the explorer if it is expected"
            : WhyNot(behaviour, node, profile, signatures, out signatureCommonality);
        return new EnrichedSignal
        {
            Signal = signal,
            Profile = context,
            Suggestion = reason is null ? Suggest(signal, node!, p, signatures, signatureCommonality) : null,
            NoSuggestionReason = reason,
            EnrichedAtUs = nowUs,
        };
    }

    /// <summary>The deepest process node of the ancestry that the profile knows, or null.</summary>
    private ProfileNode? ClosestKnown(IReadOnlyList<ProcessRef> ancestry, ProfileIndex profile)
    {
        var nodes = NodeIdentity.ProcessNodesOf(ancestry, Policy.MaxKeyLength);
        for (var i = nodes.Length - 1; i >= 0; i--)
            if (profile.TryGetNode(nodes[i], out var known)) return known;
        return null;
    }

    /// <summary>The explorer path of a profile, from <see cref="SuggestionPolicy.ProfileLinkTemplate"/>.</summary>
    public string ProfileLink(ProfileKey key) => Policy.ProfileLinkTemplate
        .Replace("{image}", Uri.EscapeDataString(key.ImageName), StringComparison.Ordinal)
        .Replace("{tag}", Uri.EscapeDataString(key.ImageTag), StringComparison.Ordinal);

    /// <summary>The suppression expression for one node of one image run with the given argument signatures (root first):
    /// exactly that, never broader.</summary>
    public static string Expression(string imageName, ulong nodeId, IReadOnlyList<string>? signatures = null)
    {
        var expression = $"container.image.name == \"{EscapeLiteral(imageName)}\" && behaviour.node_id == \"{NodeIdentity.Format(nodeId)}\"";
        return signatures is null ? expression
            : $"{expression} && process.ancestry.signatures == [{string.Join(", ", signatures.Select(s => $"\"{EscapeLiteral(s)}\""))}]";
    }

    private string? WhyNot(Behaviour behaviour, ProfileNode? node, ProfileIndex index, string[] signatures, out double signatureCommonality)
    {
        signatureCommonality = 1;
        var profile = index.Profile;
        if (node is null)
            return $"behaviour not in profile: {Describe(behaviour)} was not seen in any of {profile.SnapshotCount} snapshots";
        if (profile.Status == ProfileStatus.Learning && profile.SnapshotCount < Policy.MinLearningSnapshots)
            return string.Create(CultureInfo.InvariantCulture,
                $"profile is still learning with {profile.SnapshotCount} snapshots; suggestions need a Stable profile or at least {Policy.MinLearningSnapshots}");
        if (node.Commonality < Policy.MinNodeCommonality)
            return string.Create(CultureInfo.InvariantCulture,
                $"node commonality {node.Commonality:0.###} is below the threshold {Policy.MinNodeCommonality:0.###} ({node.SnapshotCount} of {profile.SnapshotCount} snapshots)");
        if (behaviour.Kind == NodeKind.File && behaviour.Access.HasFlag(FileAccessMode.Write) && !node.Access.HasFlag(FileAccessMode.Write))
            return $"the profile only saw read access to {node.Key}; this signal is a write";
        return WhyNotArguments(behaviour.Ancestry, index, signatures, out signatureCommonality);
    }

    /// <summary>Every process of the ancestry must have run with arguments its node knows, as commonly as the node itself
    /// must be known: "the image runs wget" says nothing about "wget anything".</summary>
    private string? WhyNotArguments(IReadOnlyList<ProcessRef> ancestry, ProfileIndex index, string[] signatures, out double lowest)
    {
        lowest = 1;
        var nodes = NodeIdentity.ProcessNodesOf(ancestry, Policy.MaxKeyLength);
        var snapshots = index.Profile.SnapshotCount;
        for (var i = 0; i < nodes.Length; i++)
        {
            var program = NodeIdentity.ProgramName(ancestry[i].ExecutablePath, ancestry[i].Args);
            if (!index.TryGetNode(nodes[i], out var process))
                return $"the process `{program}` on the ancestry ({NodeIdentity.ProcessKey(ancestry[i].ExecutablePath, ancestry[i].Args)}) is not in the profile";
            var signature = process.SignatureOf(signatures[i]);
            if (signature is null)
            {
                var shown = signatures[i].Length == 0 ? "no arguments" : $"`{signatures[i]}`";
                return process.SignaturesOverflowed
                    ? $"`{program}` ran with arguments the profile never saw ({shown}), and its node saw more argument signatures than the profile keeps"
                    : string.Create(CultureInfo.InvariantCulture,
                        $"`{program}` ran with arguments the profile never saw: {shown} (the profile knows {process.Signatures.Count} argument signature(s) for {process.Key})");
            }
            if (signature.Commonality < Policy.MinNodeCommonality)
                return string.Create(CultureInfo.InvariantCulture,
                    $"`{program}` ran with arguments seen in only {signature.SnapshotCount} of {snapshots} snapshots (commonality {signature.Commonality:0.###} below the threshold {Policy.MinNodeCommonality:0.###}): `{signatures[i]}`");
            lowest = Math.Min(lowest, signature.Commonality);
        }
        return null;
    }

    private static SuppressionSuggestion Suggest(SecuritySignal signal, ProfileNode node, SecurityProfile profile, string[] signatures,
        double signatureCommonality) => new()
    {
        RuleId = signal.RuleId,
        ImageName = profile.Key.ImageName,
        NodeId = node.Id,
        Expression = Expression(profile.Key.ImageName, node.Id, signatures),
        Description = Describe(signal.Behaviour, node),
        Signatures = signatures,
        Evidence = new SuggestionEvidence(node.Commonality, node.ContainerCommonality, profile.SnapshotCount, node.FirstSeenUs, node.LastSeenUs,
            signatureCommonality),
    };

    /// <summary><c>/usr/sbin/nginx › /bin/sh -c * › open /etc/nginx/*.conf</c>; the leaf uses the matched node's key (it may be a pattern).</summary>
    private static string Describe(Behaviour behaviour, ProfileNode? node = null)
    {
        var text = new StringBuilder();
        foreach (var process in behaviour.Ancestry)
        {
            if (text.Length > 0) text.Append(" › ");
            text.Append(NodeIdentity.ProcessKey(process.ExecutablePath, process.Args));
        }
        if (behaviour.Kind == NodeKind.Process) return text.Length == 0 ? "(no process)" : text.ToString();
        if (text.Length > 0) text.Append(" › ");
        text.Append(behaviour.Kind switch
        {
            NodeKind.File => behaviour.Access.HasFlag(FileAccessMode.Write) ? "write " : "open ",
            NodeKind.Dns => "resolve ",
            _ => "connect ",
        });
        text.Append(node?.Key ?? NodeIdentity.LeafKeyOf(behaviour));
        return text.ToString();
    }

    // A double-quoted literal of the expression language: backslash, quote and control characters escaped.
    private static string EscapeLiteral(string value)
    {
        var text = new StringBuilder(value.Length + 2);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '"': text.Append("\\\""); break;
                case '\n': text.Append(@"\n"); break;
                case '\r': text.Append(@"\r"); break;
                case '\t': text.Append(@"\t"); break;
                case < ' ': text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); break;
                default: text.Append(c); break;
            }
        }
        return text.ToString();
    }
}
