using System.Globalization;
using System.Text.Json;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Contracts.Json;

/// <summary>
/// An enriched signal as a Falco alert in falcosidekick's JSON (<c>uuid</c>, <c>output</c>, <c>priority</c>, <c>rule</c>,
/// <c>time</c>, <c>source</c>, <c>hostname</c>, <c>tags</c>, <c>output_fields</c>), for tools already wired to Falco. The
/// signal's fields go to the Falco output fields they map to (<c>proc.exepath</c>, <c>proc.cmdline</c>, <c>fd.name</c>,
/// <c>container.image.repository</c>, …); the profile context travels as <c>output_fields["wp.*"]</c>, since a Falco
/// consumer reads output fields as one flat map.
/// </summary>
internal static class FalcoAlertDocument
{
    public static void Write(Utf8JsonWriter w, EnrichedSignal e, SignalJsonOptions options)
    {
        var s = e.Signal;
        w.WriteStartObject();
        w.WriteString("uuid", s.SignalId);
        w.WriteString("output", s.Message);
        w.WriteString("priority", PriorityOf(s.Severity));
        w.WriteString("rule", s.RuleName);
        w.WriteString("time", SignalFacts.Rfc3339(s.TimestampUs));
        w.WriteString("source", "syscall");
        if (s.HostName.Length > 0) w.WriteString("hostname", s.HostName);
        w.WriteStartArray("tags");
        foreach (var value in s.Tags) w.WriteStringValue(value);
        w.WriteEndArray();

        w.WriteStartObject("output_fields");
        w.WriteNumber("evt.time", s.TimestampUs * 1000);
        w.WriteString("container.id", s.Container.Id);
        if (s.Container.ImageName is { } image) w.WriteString("container.image.repository", image);
        if (s.Container.ImageTag is { } tag) w.WriteString("container.image.tag", tag);
        if (s.Process is { } p)
        {
            if (p.ExecutablePath.Length > 0) w.WriteString("proc.exepath", p.ExecutablePath);
            var name = p.Name.Length > 0 ? p.Name : SignalFacts.BaseName(p.ExecutablePath);
            if (name.Length > 0) w.WriteString("proc.name", name);
            if (p.Args.Count > 0) w.WriteString("proc.cmdline", SignalFacts.CommandLine(p.Args));
            if (p.Pid != 0) w.WriteNumber("proc.pid", p.Pid);
            if (!string.IsNullOrEmpty(p.WorkingDirectory)) w.WriteString("proc.cwd", p.WorkingDirectory);
            w.WriteNumber("user.uid", p.Uid);
        }

        var parent = SignalFacts.ParentOf(s);
        var parentPid = SignalFacts.ParentPid(s, parent);
        if (parentPid != 0) w.WriteNumber("proc.ppid", parentPid);
        if (parent is { ExecutablePath.Length: > 0 }) w.WriteString("proc.pexepath", parent.ExecutablePath);
        if (parent is { Args.Count: > 0 }) w.WriteString("proc.pcmdline", SignalFacts.CommandLine(parent.Args));

        var b = s.Behaviour;
        if (!string.IsNullOrEmpty(b.FilePath)) w.WriteString("fd.name", b.FilePath);
        if (SignalFacts.DestinationIp(b) is { } ip) w.WriteString("fd.rip", ip);
        if (b.DestinationPort != 0) w.WriteNumber("fd.rport", b.DestinationPort);
        if (SignalFacts.Transport(b.Transport) is { } transport) w.WriteString("fd.l4proto", transport);
        if (!string.IsNullOrEmpty(b.DnsQuestionName)) w.WriteString("wp.dns.question.name", b.DnsQuestionName);

        w.WriteString("wp.rule.id", s.RuleId);
        if (e.Profile is { } profile)
        {
            w.WriteString("wp.profile.status", WorkloadProfileJson.StatusName(profile.Status));
            w.WriteNumber("wp.profile.snapshot_count", profile.SnapshotCount);
            w.WriteBoolean("wp.profile.behaviour_in_profile", profile.BehaviourInProfile);
            if (profile.NodeId is { } node) w.WriteString("wp.profile.node_id", Domain.Identity.NodeIdentity.Format(node));
            if (profile.NodeCommonality is { } commonality) w.WriteNumber("wp.profile.node_commonality", commonality);
            w.WriteString("wp.profile.link", SignalFacts.Link(profile, options));
        }
        else
        {
            w.WriteString("wp.profile.status", "none");
        }

        if (e.Suggestion is { } suggestion) w.WriteString("wp.suggestion.expression", suggestion.Expression);
        else if (!string.IsNullOrEmpty(e.NoSuggestionReason)) w.WriteString("wp.no_suggestion_reason", e.NoSuggestionReason);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The inverse of the Falco bridge's mapping (FalcoAlertParser.SeverityOf).</summary>
    static string PriorityOf(Severity severity) => severity switch
    {
        Severity.Critical => "Critical",
        Severity.High => "Error",
        Severity.Medium => "Warning",
        Severity.Low => "Notice",
        _ => "Informational",
    };
}
