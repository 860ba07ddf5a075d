using System.Text.Json;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Contracts.Json;

/// <summary>
/// The <c>workload_profile</c> object every JSON shape carries (ECS at the top level, OCSF under <c>unmapped</c>): the
/// profile context, then the suggestion or the reason there is none. A new context field is one line here.
/// </summary>
internal static class WorkloadProfileJson
{
    public const string PropertyName = "workload_profile";

    public static void Write(Utf8JsonWriter w, EnrichedSignal e, SignalJsonOptions options)
    {
        w.WriteStartObject(PropertyName);
        if (e.Profile is { } p)
        {
            w.WriteString("status", StatusName(p.Status));
            w.WriteNumber("snapshot_count", p.SnapshotCount);
            w.WriteNumber("commonality", p.ProfileCommonality);
            w.WriteBoolean("behaviour_in_profile", p.BehaviourInProfile);
            if (p.NodeId is { } node) w.WriteString("node_id", NodeIdentity.Format(node));
            if (p.NodeCommonality is { } commonality) w.WriteNumber("node_commonality", commonality);
            w.WriteString("link", SignalFacts.Link(p, options));
        }
        else
        {
            w.WriteString("status", "none");
        }

        if (e.Suggestion is { } s)
        {
            w.WriteStartObject("suggestion");
            w.WriteString("expression", s.Expression);
            w.WriteString("description", s.Description);
            w.WriteStartObject("evidence");
            w.WriteNumber("node_commonality", s.Evidence.NodeCommonality);
            w.WriteNumber("node_container_commonality", s.Evidence.NodeContainerCommonality);
            w.WriteNumber("snapshot_count", s.Evidence.SnapshotCount);
            w.WriteString("first_seen", SignalFacts.Rfc3339(s.Evidence.FirstSeenUs));
            w.WriteString("last_seen", SignalFacts.Rfc3339(s.Evidence.LastSeenUs));
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else if (!string.IsNullOrEmpty(e.NoSuggestionReason))
        {
            w.WriteString("no_suggestion_reason", e.NoSuggestionReason);
        }

        w.WriteEndObject();
    }

    public static string StatusName(ProfileStatus status) => status switch
    {
        ProfileStatus.Stable => "stable",
        _ => "learning",
    };
}
