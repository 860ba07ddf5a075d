using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Explorer.Data;

namespace WorkloadProfiles.Explorer.Suppressions;

/// <summary>
/// What "allow" on a drift signal suppresses: that drift rule, for the signal's image, on the behaviour's node, run by an
/// ancestry with those argument signatures — the behaviour exactly as it drifted, never broader. A drift signal never
/// carries a suggestion (its behaviour is outside the profile by definition), so the scope comes from the signal itself.
/// </summary>
internal sealed record DriftAllowance(string SuppressionId, string RuleId, string ImageName, ulong NodeId, string[] Signatures, string Expression)
{
    /// <summary>The allowance of a drift signal, or null for other signals, the cap notice, and signals without a node.</summary>
    public static DriftAllowance? Of(SignalRow signal)
    {
        if (!DriftRules.IsDrift(signal.RuleId) || signal.RuleId == DriftRules.Overflow || signal.NodeId is not { } node || signal.ImageName.Length == 0)
            return null;
        var signatures = signal.BehaviourSignatures ?? [];
        return new DriftAllowance(Suppression.MakeId(signal.RuleId, signal.ImageName, node, signatures), signal.RuleId, signal.ImageName, node,
            signatures, SuggestionMatcher.Expression(signal.ImageName, node, signatures));
    }
}
