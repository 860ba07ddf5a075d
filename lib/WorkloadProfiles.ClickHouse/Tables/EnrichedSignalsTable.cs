using System.Globalization;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;
using static WorkloadProfiles.ClickHouse.Tables.Columns;

namespace WorkloadProfiles.ClickHouse.Tables;

/// <summary><c>enriched_signals</c>: a signal flattened with its profile context and suggestion (sql/migrations/003_signals.sql).</summary>
public static class EnrichedSignalsTable
{
    public static ClickHouseTable Table { get; } = new("enriched_signals",
    [
        new("signal_id", StringType),
        new("rule_id", LowCardinalityStringType),
        new("rule_name", StringType),
        new("severity", LowCardinalityStringType),
        new("source", LowCardinalityStringType),
        new("timestamp", DateTimeUtcType),
        new("timestamp_us", Int64Type),
        new("container_id", StringType),
        new("image_name", LowCardinalityStringType),
        new("image_tag", StringType),
        new("host_name", LowCardinalityStringType),
        new("message", StringType),
        new("tags", StringArrayType),
        new("behaviour_kind", LowCardinalityStringType),
        new("behaviour_process", StringType),
        new("behaviour_detail", StringType),
        new("has_profile", UInt8Type),
        new("profile_status", LowCardinalityStringType),
        new("profile_snapshot_count", UInt64Type),
        new("profile_commonality", Float64Type),
        new("behaviour_in_profile", UInt8Type),
        new("node_id", NullableUInt64Type),
        new("node_commonality", NullableFloat64Type),
        new("node_container_commonality", NullableFloat64Type),
        new("has_suggestion", UInt8Type),
        new("suggestion_node_id", UInt64Type),
        new("suggestion_expression", StringType),
        new("suggestion_description", StringType),
        new("evidence_commonality", Float64Type),
        new("evidence_container_commonality", Float64Type),
        new("evidence_snapshot_count", UInt64Type),
        new("evidence_first_seen_us", Int64Type),
        new("evidence_last_seen_us", Int64Type),
        new("no_suggestion_reason", StringType),
        new("enriched_at_us", UInt64Type),
        new("process_pid", Int32Type),
        new("process_ppid", Int32Type),
        new("process_uid", UInt32Type),
        new("process_executable", StringType),
        new("process_args", StringArrayType),
        new("process_working_directory", StringType),
        new("process_start_us", Int64Type),
        new("process_ancestry", StringArrayType),
        new("profile_threshold", Float64Type),
        new("suggestion_signatures", StringArrayType),
        new("evidence_signature_commonality", Float64Type),
        .. OrchestratorColumns,
        new("profile_closest_node_id", NullableUInt64Type),
        new("profile_closest_node_key", StringType),
        new("behaviour_signatures", StringArrayType),
    ]);

    public static object?[] Row(EnrichedSignal enriched)
    {
        var signal = enriched.Signal;
        var profile = enriched.Profile;
        var suggestion = enriched.Suggestion;
        var evidence = suggestion?.Evidence;
        return
        [
            signal.SignalId,
            signal.RuleId,
            signal.RuleName,
            signal.Severity.ToString(),
            signal.Source,
            Time(signal.TimestampUs),
            signal.TimestampUs,
            signal.Container.Id,
            signal.Container.ImageName ?? "",
            signal.Container.ImageTag ?? "",
            signal.HostName,
            signal.Message,
            signal.Tags.ToArray(),
            Kind(signal.Behaviour.Kind),
            signal.Behaviour.Ancestry.Count > 0 ? signal.Behaviour.Ancestry[^1].ExecutablePath : "",
            Detail(signal.Behaviour),
            Flag(profile is not null),
            profile?.Status.ToString() ?? "",
            Count(profile?.SnapshotCount ?? 0),
            profile?.ProfileCommonality ?? 0.0,
            Flag(profile?.BehaviourInProfile ?? false),
            profile?.NodeId,
            profile?.NodeCommonality,
            profile?.NodeContainerCommonality,
            Flag(suggestion is not null),
            suggestion?.NodeId ?? 0UL,
            suggestion?.Expression ?? "",
            suggestion?.Description ?? "",
            evidence?.NodeCommonality ?? 0.0,
            evidence?.NodeContainerCommonality ?? 0.0,
            Count(evidence?.SnapshotCount ?? 0),
            evidence?.FirstSeenUs ?? 0L,
            evidence?.LastSeenUs ?? 0L,
            enriched.NoSuggestionReason ?? "",
            Count(enriched.EnrichedAtUs),
            signal.Process?.Pid ?? 0,
            signal.Process?.Ppid ?? 0,
            signal.Process?.Uid ?? 0u,
            signal.Process?.ExecutablePath ?? "",
            (signal.Process?.Args ?? []).ToArray(),
            signal.Process?.WorkingDirectory ?? "",
            signal.Process?.StartUs ?? 0L,
            signal.Behaviour.Ancestry.Select(Describe).ToArray(),
            profile?.Threshold ?? 0.0,
            (suggestion?.Signatures ?? []).ToArray(),
            evidence?.SignatureCommonality ?? 0.0,
            .. Orchestrator(signal.Container.Kubernetes),
            profile?.ClosestKnownNodeId,
            profile?.ClosestKnownNodeKey ?? "",
            NodeIdentity.SignaturesOf(signal.Behaviour.Ancestry),
        ];
    }

    /// <summary>One ancestor as a column value: <c>pid executable argv…</c>.</summary>
    private static string Describe(ProcessRef process) =>
        string.Create(CultureInfo.InvariantCulture, $"{process.Pid} {process.ExecutablePath} {string.Join(' ', process.Args)}");

    /// <summary>The leaf detail of a behaviour in one column: file path, DNS name or transport/address:port.</summary>
    private static string Detail(Behaviour behaviour) => behaviour.Kind switch
    {
        NodeKind.File => behaviour.FilePath ?? "",
        NodeKind.Dns => behaviour.DnsQuestionName ?? "",
        NodeKind.Network => string.Create(CultureInfo.InvariantCulture,
            $"{behaviour.Transport.ToString().ToLowerInvariant()}/{behaviour.DestinationAddress}:{behaviour.DestinationPort}"),
        _ => behaviour.Ancestry.Count > 0 ? string.Join(' ', behaviour.Ancestry[^1].Args) : "",
    };
}
