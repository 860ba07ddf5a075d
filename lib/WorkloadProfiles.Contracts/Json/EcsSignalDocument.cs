using System.Text.Json;
using static WorkloadProfiles.Contracts.Json.JsonParts;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Contracts.Json;

/// <summary>
/// An enriched signal as an Elastic Common Schema document, exactly the fields of DESIGN.md "JSON signal output". Absent
/// values are left out rather than written as null or "", as ECS producers do. Golden file:
/// <c>tests/WorkloadProfiles.Contracts.Tests/Golden/ecs-*.json</c> shows every change.
/// </summary>
internal static class EcsSignalDocument
{
    public static void Write(Utf8JsonWriter w, EnrichedSignal e, SignalJsonOptions options)
    {
        var s = e.Signal;
        w.WriteStartObject();
        w.WriteString("@timestamp", SignalFacts.Rfc3339(s.TimestampUs));

        w.WriteStartObject("event");
        w.WriteString("kind", "signal");
        w.WriteString("id", s.SignalId);
        w.WriteString("created", SignalFacts.Rfc3339(e.EnrichedAtUs));
        w.WriteNumber("severity", SignalFacts.SeverityScore(s.Severity));
        w.WriteEndObject();

        w.WriteStartObject("rule");
        w.WriteString("id", s.RuleId);
        w.WriteString("name", s.RuleName);
        if (s.RuleDescription.Length > 0) w.WriteString("description", s.RuleDescription);
        w.WriteEndObject();

        WriteThreat(w, s);
        if (s.Message.Length > 0) w.WriteString("message", s.Message);
        WriteProcess(w, s);
        if (s.Process is { } acting) WriteObject(w, "user", () => w.WriteString("id", acting.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        WriteBehaviourDetail(w, s.Behaviour);
        WriteContainer(w, s);
        WriteOrchestrator(w, s);
        if (s.HostName.Length > 0) WriteObject(w, "host", () => w.WriteString("name", s.HostName));
        WorkloadProfileJson.Write(w, e, options);
        w.WriteEndObject();
    }

    static void WriteThreat(Utf8JsonWriter w, SecuritySignal s)
    {
        var techniques = SignalFacts.Techniques(s.Tags);
        var tactics = SignalFacts.Tactics(s.Tags);
        if (techniques.Count == 0 && tactics.Count == 0) return;
        w.WriteStartObject("threat");
        w.WriteString("framework", "MITRE ATT&CK");
        if (techniques.Count > 0) WriteObject(w, "technique", () => WriteStrings(w, "id", techniques));
        if (tactics.Count > 0) WriteObject(w, "tactic", () => WriteStrings(w, "name", tactics));
        w.WriteEndObject();
    }

    static void WriteProcess(Utf8JsonWriter w, SecuritySignal s)
    {
        if (s.Process is not { } p) return;
        w.WriteStartObject("process");
        if (p.ExecutablePath.Length > 0) w.WriteString("executable", p.ExecutablePath);
        var name = p.Name.Length > 0 ? p.Name : SignalFacts.BaseName(p.ExecutablePath);
        if (name.Length > 0) w.WriteString("name", name);
        if (p.Args.Count > 0)
        {
            WriteStrings(w, "args", p.Args);
            w.WriteString("command_line", SignalFacts.CommandLine(p.Args));
        }

        if (p.Pid != 0) w.WriteNumber("pid", p.Pid);
        if (p.StartUs != 0) w.WriteString("start", SignalFacts.Rfc3339(p.StartUs));
        if (!string.IsNullOrEmpty(p.WorkingDirectory)) w.WriteString("working_directory", p.WorkingDirectory);

        var parent = SignalFacts.ParentOf(s);
        var parentPid = SignalFacts.ParentPid(s, parent);
        if (parent is not null || parentPid != 0)
        {
            w.WriteStartObject("parent");
            if (parent is { ExecutablePath.Length: > 0 }) w.WriteString("executable", parent.ExecutablePath);
            if (parent is { Args.Count: > 0 }) WriteStrings(w, "args", parent.Args);
            if (parentPid != 0) w.WriteNumber("pid", parentPid);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    /// <summary>file.*, dns.*, destination.*, network.*: whichever the behaviour has.</summary>
    static void WriteBehaviourDetail(Utf8JsonWriter w, Behaviour b)
    {
        if (!string.IsNullOrEmpty(b.FilePath)) WriteObject(w, "file", () => w.WriteString("path", b.FilePath));
        if (!string.IsNullOrEmpty(b.DnsQuestionName))
        {
            w.WriteStartObject("dns");
            WriteObject(w, "question", () => w.WriteString("name", b.DnsQuestionName));
            w.WriteEndObject();
        }

        var ip = SignalFacts.DestinationIp(b);
        if (ip is not null || b.DestinationPort != 0)
        {
            w.WriteStartObject("destination");
            if (ip is not null) w.WriteString("ip", ip);
            if (b.DestinationPort != 0) w.WriteNumber("port", b.DestinationPort);
            w.WriteEndObject();
        }

        if (SignalFacts.Transport(b.Transport) is { } transport) WriteObject(w, "network", () => w.WriteString("transport", transport));
    }

    static void WriteContainer(Utf8JsonWriter w, SecuritySignal s)
    {
        var c = s.Container;
        w.WriteStartObject("container");
        w.WriteString("id", c.Id);
        // container.name: the container's name in its pod on Kubernetes (the runtime's own name is in the inventory).
        if (c.Kubernetes is { ContainerName.Length: > 0 } pod) w.WriteString("name", pod.ContainerName);
        JsonParts.WriteImage(w, c);

        w.WriteEndObject();
    }

    /// <summary>orchestrator.namespace and orchestrator.resource.name (the pod), as DESIGN lists them; absent outside Kubernetes.</summary>
    static void WriteOrchestrator(Utf8JsonWriter w, SecuritySignal s)
    {
        if (s.Container.Kubernetes is not { } pod) return;
        w.WriteStartObject("orchestrator");
        w.WriteString("namespace", pod.Namespace);
        WriteObject(w, "resource", () => w.WriteString("name", pod.PodName));
        w.WriteEndObject();
    }
}
