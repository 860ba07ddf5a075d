using System.Globalization;
using System.Text;
using WorkloadProfiles.Domain.Identity;
using static WorkloadProfiles.ClickHouse.ClickHouseLiteral;

namespace WorkloadProfiles.Explorer.Data;

/// <summary>Drift signals (rule ids <c>wp.drift.*</c>) or rule signals; <see cref="Any"/> is both.</summary>
internal enum SignalOrigin
{
    Any,
    Rule,
    Drift,
}

/// <summary>
/// What a signal group stands for besides its rule and image: the profile node the signal's behaviour maps to, or — when
/// the signal was enriched without a profile and so has no node — a hash of its raw behaviour (kind, process, detail).
/// Written as 16 hex digits for a node (as everywhere) and <c>u</c> + 16 hex digits for an unprofiled behaviour.
/// </summary>
internal readonly record struct BehaviourKey(bool Profiled, ulong Value)
{
    public override string ToString() => Profiled ? NodeIdentity.Format(Value) : "u" + NodeIdentity.Format(Value);

    public static bool TryParse(string? text, out BehaviourKey key)
    {
        key = default;
        if (text is null) return false;
        var profiled = !text.StartsWith('u');
        var hex = profiled ? text : text[1..];
        if (hex.Length != 16 || !ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)) return false;
        key = new BehaviourKey(profiled, value);
        return true;
    }
}

/// <summary>
/// The filters of the signals view; null means "any". Every filter narrows the signals first, so a group's count is the
/// number of its signals that pass them, and the expanded list of a group shows exactly those.
/// </summary>
internal sealed record SignalScope
{
    public const string DriftRulePrefix = "wp.drift.";

    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public IReadOnlyList<string>? Severities { get; init; }
    public string? RuleId { get; init; }
    public string? ImageName { get; init; }
    public string? ImageTag { get; init; }
    public bool? Suggested { get; init; }
    public SignalOrigin Origin { get; init; }
    /// <summary>Only honoured when the warehouse has a namespace column (<see cref="SignalColumns.Namespace"/>).</summary>
    public string? Namespace { get; init; }
    public BehaviourKey? Behaviour { get; init; }

    /// <summary>The WHERE condition; <paramref name="hasNamespace"/> says whether the namespace column exists.</summary>
    public string Where(bool hasNamespace)
    {
        var where = new StringBuilder("1");
        // The second-resolution column is the partition key (pruning); the microsecond column makes the bound exact.
        if (From is { } from)
        {
            var us = Micros(from);
            where.Append(CultureInfo.InvariantCulture, $" AND timestamp >= toDateTime({Number(Math.Max(0, us / 1_000_000))}, 'UTC') AND timestamp_us >= {Number(us)}");
        }
        if (To is { } to)
        {
            var us = Micros(to);
            where.Append(CultureInfo.InvariantCulture, $" AND timestamp <= toDateTime({Number(Math.Max(0, us / 1_000_000))}, 'UTC') AND timestamp_us < {Number(us)}");
        }
        if (Severities is { Count: > 0 } severities) where.Append(" AND severity IN (").Append(string.Join(", ", severities.Select(String))).Append(')');
        if (RuleId is not null) where.Append(" AND rule_id = ").Append(String(RuleId));
        if (ImageName is not null) where.Append(" AND image_name = ").Append(String(ImageName));
        if (ImageTag is not null) where.Append(" AND image_tag = ").Append(String(ImageTag));
        if (Suggested is { } suggested) where.Append(" AND has_suggestion = ").Append(suggested ? "1" : "0");
        if (Origin == SignalOrigin.Drift) where.Append(" AND startsWith(rule_id, ").Append(String(DriftRulePrefix)).Append(')');
        if (Origin == SignalOrigin.Rule) where.Append(" AND NOT startsWith(rule_id, ").Append(String(DriftRulePrefix)).Append(')');
        if (Namespace is not null && hasNamespace) where.Append(" AND ").Append(SignalColumns.Namespace).Append(" = ").Append(String(Namespace));
        if (Behaviour is { } behaviour)
        {
            // A node compares as the view shows it; an unprofiled behaviour by the hash of its raw behaviour.
            where.Append(behaviour.Profiled
                ? $" AND node_id = {String(NodeIdentity.Format(behaviour.Value))}"
                : $" AND isNull(node_id) AND {SignalColumns.RawBehaviourHash} = {Number(behaviour.Value)}");
        }
        return where.ToString();
    }

    private static long Micros(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
}

/// <summary>Column expressions over <c>enriched_signals_latest</c> shared by the signals view's queries.</summary>
internal static class SignalColumns
{
    /// <summary>
    /// The Kubernetes namespace column, once the warehouse has one; the view asks the server whether it exists, so a
    /// namespace filter appears without a change here when a migration adds it.
    /// </summary>
    public const string Namespace = "orchestrator_namespace";

    /// <summary>1 when the signal was enriched against a profile (and so carries the node its behaviour maps to).</summary>
    public const string Profiled = "if(isNull(node_id), 0, 1)";

    /// <summary>A hash of a signal's raw behaviour, which groups the signals enriched without a profile (and so a node).</summary>
    public const string RawBehaviourHash = "cityHash64(toString(behaviour_kind), behaviour_process, behaviour_detail)";

    /// <summary>
    /// The node id (the view shows it as 16 hex digits; read back as the number), or <see cref="RawBehaviourHash"/> when
    /// there is no node (see <see cref="BehaviourKey"/>).
    /// </summary>
    public const string BehaviourKey =
        $"if(isNull(node_id), {RawBehaviourHash}, reinterpretAsUInt64(reverse(unhex(assumeNotNull(node_id)))))";

    /// <summary>Severity as a number (Info 1 … Critical 5), so groups sort and aggregate by it.</summary>
    public const string SeverityRank =
        "multiIf(severity = 'Critical', 5, severity = 'High', 4, severity = 'Medium', 3, severity = 'Low', 2, 1)";

    public static readonly string[] SeverityNames = ["", "Info", "Low", "Medium", "High", "Critical"];
}
