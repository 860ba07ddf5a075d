using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using WorkloadProfiles.Contracts.Json;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Contracts.Tests.Json;

/// <summary>
/// The JSON shapes of enriched signals against golden files (<c>Json/Golden/*.json</c>, indented for review; the topic
/// carries the same document on one line). A changed mapping fails here with the new text; after checking it, refresh
/// the files with <c>WP_UPDATE_GOLDEN=1 dotnet test tests/WorkloadProfiles.Contracts.Tests --filter SignalJson</c>.
/// </summary>
public sealed class SignalJsonTests
{
    /// <summary>DESIGN.md "JSON signal output", field for field (evidence's members are the suggestion's own).</summary>
    static readonly string[] DesignEcsFields =
    [
        "@timestamp", "event.kind", "event.id", "event.created", "event.severity",
        "rule.id", "rule.name", "rule.description",
        "threat.framework", "threat.technique.id", "threat.tactic.name", "message",
        "process.executable", "process.name", "process.args", "process.command_line", "process.pid", "process.start",
        "process.working_directory", "process.parent.executable", "process.parent.args", "process.parent.pid",
        "user.id", "file.path", "dns.question.name", "destination.ip", "destination.port", "network.transport",
        "container.id", "container.name", "container.image.name", "container.image.tag",
        "orchestrator.namespace", "orchestrator.resource.name", "host.name",
        "workload_profile.status", "workload_profile.snapshot_count", "workload_profile.commonality",
        "workload_profile.behaviour_in_profile", "workload_profile.node_id", "workload_profile.node_commonality",
        "workload_profile.link", "workload_profile.suggestion.expression", "workload_profile.suggestion.description",
        "workload_profile.suggestion.evidence", "workload_profile.no_suggestion_reason",
    ];


    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in SignalJsonSamples.All.Keys) data.Add("ecs", name);
        data.Add("ocsf", "rule-exec");
        data.Add("ocsf", "drift-dns");
        data.Add("ocsf", "falco-file");
        data.Add("falco", "rule-connect");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_golden_file(string format, string sample)
    {
        var bytes = SignalJson.Serialize(SignalJsonSamples.All[sample], SignalJsonOptions.ParseFormat(format));

        // One record per line for kcat and line-oriented shippers: no newline inside, valid UTF-8 JSON.
        Assert.DoesNotContain((byte)'\n', bytes);
        var actual = Indented(bytes);
        var path = Path.Combine(GoldenDirectory(), $"{format}-{sample}.json");
        if (Environment.GetEnvironmentVariable("WP_UPDATE_GOLDEN") == "1") File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"no golden file {path}; create it with WP_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void Ecs_documents_use_exactly_the_designed_fields()
    {
        var used = SignalJsonSamples.All.Values
            .SelectMany(s => LeafPaths(JsonDocument.Parse(SignalJson.Serialize(s, SignalJsonFormat.Ecs)).RootElement, ""))
            .Select(p => p.StartsWith("workload_profile.suggestion.evidence.", StringComparison.Ordinal) ? "workload_profile.suggestion.evidence" : p)
            .ToHashSet();

        Assert.Empty(used.Except(DesignEcsFields));
        Assert.Equal(DesignEcsFields.Order(), used.Order());
    }

    [Fact]
    public void Ecs_maps_severity_mitre_times_and_the_real_parent()
    {
        var ecs = Parse(SignalJsonSamples.RuleExec, SignalJsonFormat.Ecs);

        Assert.Equal("signal", ecs.Get("event.kind").GetString());
        Assert.Equal(21, ecs.Get("event.severity").GetInt32()); // low
        Assert.Equal("2026-01-01T00:00:00.000000Z", ecs.Get("@timestamp").GetString());
        Assert.Equal("2026-01-01T00:00:00.041000Z", ecs.Get("event.created").GetString());
        Assert.Equal("MITRE ATT&CK", ecs.Get("threat.framework").GetString());
        Assert.Equal(["T1059.004"], ecs.Get("threat.technique.id").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["Execution"], ecs.Get("threat.tactic.name").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("sh -c read line < /etc/motd", ecs.Get("process.command_line").GetString());
        // The parent is the loop's shell (pid 4101), not the acting process's own ancestry entry (pid 4187).
        Assert.Equal(4101, ecs.Get("process.parent.pid").GetInt32());
        Assert.Equal("/bin/sh", ecs.Get("process.parent.args")[0].GetString());
        Assert.Equal("0123456789abcdef", ecs.Get("workload_profile.node_id").GetString());
        Assert.Equal("stable", ecs.Get("workload_profile.status").GetString());
    }

    [Fact]
    public void A_forked_child_on_its_parents_entry_names_the_parent_by_pid()
    {
        // The acting process (pid 20) forked from 10 and has not exec'd: the ancestry ends with its parent's image.
        var signal = SignalJsonSamples.RuleExec with
        {
            Signal = SignalJsonSamples.RuleExec.Signal with
            {
                Process = SignalJsonSamples.RuleExec.Signal.Process! with { Pid = 20, Ppid = 10 },
                Behaviour = new Behaviour
                {
                    Kind = NodeKind.Process,
                    Ancestry = [new ProcessRef("/sbin/init", ["init"]) { Pid = 1 }, new ProcessRef("/bin/sh", ["sh", "loop.sh"]) { Pid = 10 }],
                },
            },
        };

        var ecs = Parse(signal, SignalJsonFormat.Ecs);
        Assert.Equal(10, ecs.Get("process.parent.pid").GetInt32());
        Assert.Equal("/bin/sh", ecs.Get("process.parent.executable").GetString());
    }

    [Fact]
    public void An_explorer_address_makes_the_profile_link_absolute()
    {
        var options = new SignalJsonOptions { ExplorerUrl = "https://wp.example.com/" };
        var ecs = Parse(SignalJsonSamples.RuleExec, SignalJsonFormat.Ecs, options);
        Assert.Equal("https://wp.example.com/profiles/localhost%2Fwp-demo/1.0", ecs.Get("workload_profile.link").GetString());
    }

    [Fact]
    public void Ocsf_is_a_detection_finding_with_the_rule_as_analytic()
    {
        var ocsf = Parse(SignalJsonSamples.FalcoFile, SignalJsonFormat.Ocsf);

        Assert.Equal(2004, ocsf.Get("class_uid").GetInt32());
        Assert.Equal(2, ocsf.Get("category_uid").GetInt32());
        Assert.Equal(200401, ocsf.Get("type_uid").GetInt32());
        Assert.Equal(3, ocsf.Get("severity_id").GetInt32()); // medium
        Assert.Equal(1_767_225_612_000, ocsf.Get("time").GetInt64());
        Assert.Equal("falco.read-sensitive-file-untrusted", ocsf.Get("finding_info.analytic.uid").GetString());
        Assert.Equal("T1555", ocsf.Get("finding_info.attacks")[0].Get("technique.uid").GetString());
        Assert.Equal("Credential Access", ocsf.Get("finding_info.attacks")[0].Get("tactic.name").GetString());
        Assert.Equal("/etc/shadow", ocsf.Get("evidences")[0].Get("file.path").GetString());
        Assert.Equal("none", ocsf.Get("unmapped.workload_profile.status").GetString());
    }

    [Theory]
    [InlineData("ECS", SignalJsonFormat.Ecs)]
    [InlineData("ocsf", SignalJsonFormat.Ocsf)]
    [InlineData(" falco ", SignalJsonFormat.Falco)]
    [InlineData("", SignalJsonFormat.Ecs)]
    public void Formats_parse_by_name(string text, SignalJsonFormat expected) => Assert.Equal(expected, SignalJsonOptions.ParseFormat(text));

    [Theory]
    [InlineData("json")]
    [InlineData("1")]
    public void Other_formats_are_configuration_errors(string text) =>
        Assert.Contains("ecs, ocsf or falco", Assert.Throws<ArgumentException>(() => SignalJsonOptions.ParseFormat(text)).Message);

    static JsonElement Parse(EnrichedSignal signal, SignalJsonFormat format, SignalJsonOptions? options = null) =>
        JsonDocument.Parse(SignalJson.Serialize(signal, format, options)).RootElement;

    static IEnumerable<string> LeafPaths(JsonElement element, string prefix) =>
        element.ValueKind == JsonValueKind.Object
            ? element.EnumerateObject().SelectMany(p => LeafPaths(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}"))
            : [prefix];

    static string Indented(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            document.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    static string GoldenDirectory([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "Golden");
}

internal static class JsonPath
{
    /// <summary>The value at a dotted path of object members (<c>process.parent.pid</c>).</summary>
    public static JsonElement Get(this JsonElement element, string path)
    {
        foreach (var name in path.Split('.'))
        {
            if (!element.TryGetProperty(name, out element)) throw new KeyNotFoundException($"no '{name}' in the path '{path}'");
        }

        return element;
    }
}
