using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Detection.Falco;

/// <summary>
/// The Falco bridge: turns a Falco JSON alert, as falcosidekick publishes it to Kafka, into a <see cref="SecuritySignal"/>
/// (<see cref="SecuritySignal.Source"/> = <c>falco</c>) so Falco alerts get profile context and suppression suggestions too.
/// <code>
/// {"output": "...", "priority": "Warning", "rule": "Terminal shell in container", "time": "2024-05-01T12:00:00.123456789Z",
///  "hostname": "node-1", "tags": ["container", "shell"],
///  "output_fields": {"container.id": "…", "container.image.repository": "nginx", "container.image.tag": "1.27",
///                    "evt.type": "execve", "proc.exepath": "/bin/bash", "proc.cmdline": "bash -i", "proc.pname": "runc", …}}
/// </code>
/// Rule id: <c>falco.</c> + the rule name in lower-case with non-alphanumerics as '-' (stable, so suppressions can name it).
/// Severity from priority: Emergency/Alert/Critical → critical, Error → high, Warning → medium, Notice → low,
/// Informational/Debug → info; an absent or unknown priority → medium (an alert is never dropped for its priority).
/// Behaviour from output fields: execve → process; open* with <c>fd.name</c> → file (write when <c>evt.is_open_write</c>
/// or write flags); connect → network (<c>fd.rip</c>/<c>fd.rport</c>/<c>fd.l4proto</c>, else parsed from <c>fd.name</c>).
/// Ancestry is what the alert carries: <c>proc.aexepath[n]</c>/<c>proc.aname[n]</c> (n ≥ 2), the parent
/// (<c>proc.pexepath</c>/<c>proc.pname</c>) and the process — usually shallower than the agent's lineage, so the node may
/// differ from the profile's unless the Falco rule outputs the ancestors.
/// </summary>
public static class FalcoAlertParser
{
    public const string Source = "falco";
    public const string RuleIdPrefix = "falco.";

    /// <summary>Parses an alert or throws <see cref="FalcoAlertException"/> with the reason.</summary>
    public static SecuritySignal Parse(ReadOnlySpan<byte> utf8Json) =>
        TryParse(utf8Json, out var signal, out var error) ? signal : throw new FalcoAlertException(error);

    public static bool TryParse(ReadOnlySpan<byte> utf8Json,
        [NotNullWhen(true)] out SecuritySignal? signal, [NotNullWhen(false)] out FalcoParseError? error)
    {
        signal = null;
        // The JSON reader checks structure, not the bytes inside strings: text that is not UTF-8 would only fail later,
        // when a field is read.
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            error = new(FalcoParseError.MalformedJson, "the alert is not valid UTF-8");
            return false;
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            error = new(FalcoParseError.MalformedJson, e.Message);
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = new(FalcoParseError.MalformedJson, $"expected a JSON object, got {root.ValueKind}");
                return false;
            }
            if (StringProperty(root, "rule") is not { Length: > 0 } rule)
            {
                error = new(FalcoParseError.MissingField, "'rule' is missing or not a non-empty string");
                return false;
            }
            if (StringProperty(root, "time") is not { Length: > 0 } timeText)
            {
                error = new(FalcoParseError.MissingField, $"'time' is missing or not a string (rule '{rule}')");
                return false;
            }
            if (!TryParseTime(timeText, out var timestampUs))
            {
                error = new(FalcoParseError.InvalidTime, $"'time' value '{timeText}' is not RFC 3339 (rule '{rule}')");
                return false;
            }
            if (!root.TryGetProperty("output_fields", out var fieldsElement) || fieldsElement.ValueKind != JsonValueKind.Object)
            {
                error = new(FalcoParseError.MissingField, $"'output_fields' is missing or not an object (rule '{rule}')");
                return false;
            }

            var fields = new OutputFields(fieldsElement);
            var containerId = fields["container.full_id"] ?? fields["container.id"];
            if (string.IsNullOrEmpty(containerId))
            {
                error = new(FalcoParseError.NoContainer, $"output_fields has no container.id (rule '{rule}'); add %container.id to the rule's output");
                return false;
            }
            if (containerId == "host")
            {
                error = new(FalcoParseError.NoContainer, $"the alert is about the host, not a container (rule '{rule}')");
                return false;
            }

            var container = new ContainerRef(containerId, NullIfEmpty(fields["container.image.repository"]), NullIfEmpty(fields["container.image.tag"]));
            var output = StringProperty(root, "output") ?? "";
            var ruleId = RuleIdOf(rule);
            var pid = int.TryParse(fields["proc.pid"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 0;
            var behaviour = BehaviourOf(fields);

            signal = new SecuritySignal
            {
                SignalId = SignalFactory.MakeId(ruleId, containerId, timestampUs, pid, output),
                RuleId = ruleId,
                RuleName = rule,
                Severity = SeverityOf(StringProperty(root, "priority")),
                TimestampUs = timestampUs,
                Source = Source,
                Container = container,
                HostName = StringProperty(root, "hostname") ?? "",
                Message = output,
                Tags = Tags(root),
                Process = ProcessOf(fields, pid),
                Behaviour = behaviour,
            };
            error = null;
            return true;
        }
    }

    /// <summary><c>falco.</c> + the rule name in lower-case, runs of other characters collapsed to '-'.</summary>
    public static string RuleIdOf(string ruleName)
    {
        var sb = new StringBuilder(RuleIdPrefix, RuleIdPrefix.Length + ruleName.Length);
        var dash = false;
        foreach (var c in ruleName.Trim())
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                if (dash && sb.Length > RuleIdPrefix.Length) sb.Append('-');
                sb.Append(char.ToLowerInvariant(c));
                dash = false;
            }
            else
            {
                dash = true;
            }
        }
        return sb.ToString();
    }

    public static Severity SeverityOf(string? priority) => priority?.ToLowerInvariant() switch
    {
        "emergency" or "alert" or "critical" => Severity.Critical,
        "error" => Severity.High,
        "warning" => Severity.Medium,
        "notice" => Severity.Low,
        "informational" or "info" or "debug" => Severity.Info,
        _ => Severity.Medium,
    };

    private static Behaviour BehaviourOf(OutputFields f)
    {
        var ancestry = Ancestry(f);
        var eventType = f["evt.type"] ?? "";
        var fdName = f["fd.name"];

        if (eventType is "connect" or "sendto" or "sendmsg" && (f["fd.rip"] is not null || fdName is not null))
        {
            var (address, port) = RemoteOf(f, fdName);
            return new Behaviour
            {
                Kind = NodeKind.Network,
                Ancestry = ancestry,
                Transport = (f["fd.l4proto"] ?? f["fd.type"])?.ToLowerInvariant() switch
                {
                    "tcp" or "ipv4" or "ipv6" => NetworkTransport.Tcp,
                    "udp" => NetworkTransport.Udp,
                    _ => NetworkTransport.Unknown,
                },
                DestinationAddress = address,
                DestinationPort = port,
            };
        }
        if (fdName is { Length: > 0 } && fdName[0] == '/' && !eventType.StartsWith("exec", StringComparison.Ordinal))
        {
            return new Behaviour
            {
                Kind = NodeKind.File,
                Ancestry = ancestry,
                FilePath = fdName,
                Access = IsWrite(f) ? FileAccessMode.Write : FileAccessMode.Read,
            };
        }
        return new Behaviour { Kind = NodeKind.Process, Ancestry = ancestry };
    }

    private static List<ProcessRef> Ancestry(OutputFields f)
    {
        var chain = new List<ProcessRef>();
        // proc.aname[n] / proc.aexepath[n]: n = 1 is the parent, 2 the grandparent…; outermost first in the result.
        for (var n = 16; n >= 2; n--)
        {
            var exe = f[$"proc.aexepath[{n}]"] ?? f[$"proc.aname[{n}]"];
            if (!string.IsNullOrEmpty(exe)) chain.Add(new ProcessRef(exe, [EventFields.BaseName(exe)]));
        }
        var parentExe = f["proc.pexepath"] ?? f["proc.pexe"] ?? f["proc.aexepath[1]"] ?? f["proc.pname"] ?? f["proc.aname[1]"];
        if (!string.IsNullOrEmpty(parentExe))
            chain.Add(new ProcessRef(parentExe, Split(f["proc.pcmdline"]) is { Count: > 0 } pa ? pa : [EventFields.BaseName(parentExe)]));

        var exePath = f["proc.exepath"] ?? f["proc.exe"] ?? f["proc.name"];
        if (!string.IsNullOrEmpty(exePath))
            chain.Add(new ProcessRef(exePath, Split(f["proc.cmdline"]) is { Count: > 0 } a ? a : [EventFields.BaseName(exePath)]));
        return chain;
    }

    /// <summary>The acting process as far as the rule's output fields tell (Falco's proc.cmdline starts with the name).</summary>
    private static ActingProcess? ProcessOf(OutputFields f, int pid)
    {
        var exePath = f["proc.exepath"] ?? f["proc.exe"] ?? f["proc.name"];
        if (string.IsNullOrEmpty(exePath) && pid == 0) return null;
        return new ActingProcess
        {
            ExecutablePath = exePath ?? "",
            Args = Split(f["proc.cmdline"]),
            Name = f["proc.name"] ?? "",
            Pid = pid,
            Ppid = int.TryParse(f["proc.ppid"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ppid) ? ppid : 0,
            Uid = uint.TryParse(f["user.uid"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var uid) ? uid : 0,
            WorkingDirectory = f["proc.cwd"],
        };
    }

    private static bool IsWrite(OutputFields f)
    {
        if (f["evt.is_open_write"] is { } w) return w is "true" or "1";
        var flags = f["evt.arg.flags"] ?? f["evt.rawarg.flags"] ?? "";
        return flags.Contains("O_WRONLY", StringComparison.Ordinal) || flags.Contains("O_RDWR", StringComparison.Ordinal)
               || flags.Contains("O_CREAT", StringComparison.Ordinal) || flags.Contains("O_TRUNC", StringComparison.Ordinal);
    }

    private static (string? Address, int Port) RemoteOf(OutputFields f, string? fdName)
    {
        var address = f["fd.rip"];
        var port = int.TryParse(f["fd.rport"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : 0;
        if (address is not null || fdName is null) return (address, port);

        // fd.name of a socket: "10.0.0.2:51234->93.184.216.34:443"; IPv6 addresses contain ':' so split at the last one.
        var arrow = fdName.IndexOf("->", StringComparison.Ordinal);
        var remote = arrow >= 0 ? fdName[(arrow + 2)..] : fdName;
        var colon = remote.LastIndexOf(':');
        if (colon <= 0) return (remote, port);
        _ = int.TryParse(remote.AsSpan(colon + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out port);
        return (remote[..colon].Trim('[', ']'), port);
    }

    /// <summary>RFC 3339 with up to nanosecond precision (Falco writes 9 fraction digits; .NET parses at most 7).</summary>
    internal static bool TryParseTime(string text, out long timestampUs)
    {
        timestampUs = 0;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var normalized = text;
        if (dot >= 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            if (end - dot - 1 > 7) normalized = string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end));
        }
        if (!DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            return false;
        timestampUs = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return true;
    }

    private static List<string> Tags(JsonElement root)
    {
        if (!root.TryGetProperty("tags", out var tags) || tags.ValueKind != JsonValueKind.Array) return [];
        return [.. tags.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!)];
    }

    private static List<string> Split(string? commandLine) =>
        string.IsNullOrWhiteSpace(commandLine) ? [] : [.. commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) || s == "<NA>" ? null : s;

    private static string? StringProperty(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Falco output fields as text: strings as-is, numbers and booleans by their JSON text, null and "&lt;NA&gt;" as absent.</summary>
    private readonly struct OutputFields(JsonElement fields)
    {
        public string? this[string name] =>
            !fields.TryGetProperty(name, out var v) ? null : v.ValueKind switch
            {
                JsonValueKind.String => v.GetString() is { } s && s != "<NA>" ? s : null,
                JsonValueKind.Number => v.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            };
    }
}
