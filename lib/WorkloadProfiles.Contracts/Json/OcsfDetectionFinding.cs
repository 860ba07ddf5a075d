using System.Text.Json;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Contracts.Json;

/// <summary>
/// An enriched signal as an OCSF 1.1 Detection Finding (class 2004, category Findings, activity Create). The rule is the
/// finding's analytic, ATT&amp;CK comes from the rule's tags, what was observed is the one evidence artifact (process,
/// file, DNS query, destination, container), the host is the device, and the profile context — which OCSF has no class
/// for — goes under <c>unmapped.workload_profile</c> in the same shape as the ECS output. Times are epoch milliseconds.
/// </summary>
internal static class OcsfDetectionFinding
{
    public const string SchemaVersion = "1.1.0";
    const int ClassUid = 2004, CategoryUid = 2, ActivityCreate = 1;

    public static void Write(Utf8JsonWriter w, EnrichedSignal e, SignalJsonOptions options)
    {
        var s = e.Signal;
        w.WriteStartObject();
        w.WriteNumber("class_uid", ClassUid);
        w.WriteString("class_name", "Detection Finding");
        w.WriteNumber("category_uid", CategoryUid);
        w.WriteString("category_name", "Findings");
        w.WriteNumber("activity_id", ActivityCreate);
        w.WriteString("activity_name", "Create");
        w.WriteNumber("type_uid", ClassUid * 100 + ActivityCreate);
        w.WriteString("type_name", "Detection Finding: Create");
        w.WriteNumber("time", SignalFacts.UnixMillis(s.TimestampUs));
        var (severityId, severity) = SeverityOf(s.Severity);
        w.WriteNumber("severity_id", severityId);
        w.WriteString("severity", severity);
        w.WriteNumber("status_id", 1);
        w.WriteString("status", "New");
        if (s.Message.Length > 0) w.WriteString("message", s.Message);

        w.WriteStartObject("metadata");
        w.WriteString("version", SchemaVersion);
        w.WriteString("uid", s.SignalId);
        w.WriteNumber("processed_time", SignalFacts.UnixMillis(e.EnrichedAtUs));
        w.WriteStartObject("product");
        w.WriteString("name", "WorkloadProfiles");
        w.WriteString("vendor_name", "WorkloadProfiles");
        w.WriteEndObject();
        w.WriteEndObject();

        WriteFindingInfo(w, e);
        WriteEvidence(w, s);
        if (s.HostName.Length > 0)
        {
            w.WriteStartObject("device");
            w.WriteString("hostname", s.HostName);
            w.WriteEndObject();
        }

        w.WriteStartObject("unmapped");
        WorkloadProfileJson.Write(w, e, options);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.</summary>
    static (int Id, string Name) SeverityOf(Severity severity) => severity switch
    {
        Severity.Info => (1, "Informational"),
        Severity.Low => (2, "Low"),
        Severity.Medium => (3, "Medium"),
        Severity.High => (4, "High"),
        Severity.Critical => (5, "Critical"),
        _ => (0, "Unknown"),
    };

    static void WriteFindingInfo(Utf8JsonWriter w, EnrichedSignal e)
    {
        var s = e.Signal;
        w.WriteStartObject("finding_info");
        w.WriteString("uid", s.SignalId);
        w.WriteString("title", s.RuleName);
        if (s.RuleDescription.Length > 0) w.WriteString("desc", s.RuleDescription);
        w.WriteNumber("created_time", SignalFacts.UnixMillis(e.EnrichedAtUs));
        w.WriteStartArray("types");
        w.WriteStringValue(s.Source);
        w.WriteEndArray();
        w.WriteStartObject("analytic");
        w.WriteString("uid", s.RuleId);
        w.WriteString("name", s.RuleName);
        w.WriteNumber("type_id", 1);
        w.WriteString("type", "Rule");
        w.WriteEndObject();

        var techniques = SignalFacts.Techniques(s.Tags);
        var tactics = SignalFacts.Tactics(s.Tags);
        if (techniques.Count > 0 || tactics.Count > 0)
        {
            // One attack per (technique, tactic) pair the tags name; a missing half is left out (OCSF 1.1 Attack.tactic).
            w.WriteStartArray("attacks");
            foreach (var technique in techniques.DefaultIfEmpty())
            {
                foreach (var tactic in tactics.DefaultIfEmpty()) WriteAttack(w, technique, tactic);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    static void WriteAttack(Utf8JsonWriter w, string? technique, string? tactic)
    {
        w.WriteStartObject();
        if (technique is not null)
        {
            w.WriteStartObject("technique");
            w.WriteString("uid", technique);
            w.WriteEndObject();
        }

        if (tactic is not null)
        {
            w.WriteStartObject("tactic");
            w.WriteString("name", tactic);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    static void WriteEvidence(Utf8JsonWriter w, SecuritySignal s)
    {
        var b = s.Behaviour;
        w.WriteStartArray("evidences");
        w.WriteStartObject();
        if (s.Process is { } p)
        {
            w.WriteStartObject("process");
            if (p.Pid != 0) w.WriteNumber("pid", p.Pid);
            var name = p.Name.Length > 0 ? p.Name : SignalFacts.BaseName(p.ExecutablePath);
            if (name.Length > 0) w.WriteString("name", name);
            if (p.Args.Count > 0) w.WriteString("cmd_line", SignalFacts.CommandLine(p.Args));
            if (p.ExecutablePath.Length > 0) WriteFile(w, p.ExecutablePath);
            if (!string.IsNullOrEmpty(p.WorkingDirectory)) w.WriteString("working_directory", p.WorkingDirectory);
            if (p.StartUs != 0) w.WriteNumber("created_time", SignalFacts.UnixMillis(p.StartUs));
            w.WriteStartObject("user");
            w.WriteString("uid", p.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
            var parent = SignalFacts.ParentOf(s);
            var parentPid = SignalFacts.ParentPid(s, parent);
            if (parent is not null || parentPid != 0)
            {
                w.WriteStartObject("parent_process");
                if (parentPid != 0) w.WriteNumber("pid", parentPid);
                if (parent is { Args.Count: > 0 }) w.WriteString("cmd_line", SignalFacts.CommandLine(parent.Args));
                if (parent is { ExecutablePath.Length: > 0 }) WriteFile(w, parent.ExecutablePath);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        if (!string.IsNullOrEmpty(b.FilePath))
        {
            w.WritePropertyName("file");
            WriteFileObject(w, b.FilePath);
        }

        if (!string.IsNullOrEmpty(b.DnsQuestionName))
        {
            w.WriteStartObject("query");
            w.WriteString("hostname", b.DnsQuestionName);
            w.WriteEndObject();
        }

        var ip = SignalFacts.DestinationIp(b);
        if (ip is not null || b.DestinationPort != 0)
        {
            w.WriteStartObject("dst_endpoint");
            if (ip is not null) w.WriteString("ip", ip);
            if (b.DestinationPort != 0) w.WriteNumber("port", b.DestinationPort);
            w.WriteEndObject();
        }

        if (SignalFacts.Transport(b.Transport) is { } transport)
        {
            w.WriteStartObject("connection_info");
            w.WriteString("protocol_name", transport);
            w.WriteEndObject();
        }

        var c = s.Container;
        w.WriteStartObject("container");
        w.WriteString("uid", c.Id);
        JsonParts.WriteImage(w, c);

        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    static void WriteFile(Utf8JsonWriter w, string path)
    {
        w.WritePropertyName("file");
        WriteFileObject(w, path);
    }

    static void WriteFileObject(Utf8JsonWriter w, string path)
    {
        w.WriteStartObject();
        w.WriteString("path", path);
        w.WriteString("name", SignalFacts.BaseName(path));
        w.WriteEndObject();
    }
}
