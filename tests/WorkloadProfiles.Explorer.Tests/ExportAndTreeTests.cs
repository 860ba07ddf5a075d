using WorkloadProfiles.Explorer.Api;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Exports;
using WorkloadProfiles.Explorer.Profiles;
using YamlDotNet.Serialization;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>The pure parts: tree building from node rows, input rules, and the export renderers' edge cases.</summary>
public sealed class ExportAndTreeTests
{
    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);
    private static readonly ProfileRow Profile = new("nginx", "1.26", 3, "Stable", 10, 4, 1, 5, 0, 0, 0.9, 0, 0, null, [], ["host-a"]);

    private static NodeRow Node(ulong id, ulong parent, string kind, string key, double commonality = 1.0) =>
        new(id, parent, kind, key, [key], 1, 1, 1, commonality, commonality, kind == "file" ? "r" : "", 0, 0);

    [Fact]
    public void Tree_nests_processes_and_hangs_leaves_off_their_process()
    {
        var tree = ProcessTree.Build([
            Node(1, 0, "process", "/usr/sbin/nginx"),
            Node(2, 1, "process", "/bin/sh -c *"),
            Node(3, 1, "file", "/etc/nginx/nginx.conf"),
            Node(4, 2, "network", "tcp/80/public"),
            Node(5, 1, "dns", "api.example.com"),
        ]);

        var root = Assert.Single(tree.Roots);
        Assert.Equal("/etc/nginx/nginx.conf", Assert.Single(root.Files).Key);
        Assert.Equal("api.example.com", Assert.Single(root.Dns).Key);
        var shell = Assert.Single(root.Children);
        Assert.Equal("/bin/sh", shell.Executable);
        Assert.Equal("tcp/80/public", Assert.Single(shell.Network).Key);
        Assert.Equal(0, tree.Unattached);
    }

    [Fact]
    public void Tree_counts_what_it_cannot_place_and_survives_a_cycle()
    {
        var tree = ProcessTree.Build([
            Node(1, 0, "process", "/app/server"),
            Node(2, 99, "process", "/orphan/process"),   // parent missing: shown at the top
            Node(3, 98, "file", "/orphan/file"),          // leaf without its process: cannot be placed
            Node(4, 5, "process", "/cycle/a"),
            Node(5, 4, "process", "/cycle/b"),             // a and b are each other's parent: unreachable from a root
        ]);

        Assert.Equal(["/app/server", "/orphan/process"], tree.Roots.Select(r => r.Key));
        Assert.Equal(3, tree.Unattached);
    }

    [Fact]
    public void Tree_of_a_hundred_thousand_nested_processes_builds_and_serializes_without_recursion()
    {
        const int depth = 100_000;
        var rows = Enumerable.Range(1, depth).Select(i => Node((ulong)i, (ulong)(i - 1), "process", $"/bin/p{i}")).ToList();

        var tree = ProcessTree.Build(rows);
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(tree.Roots, WebJson);

        Assert.Equal(0, tree.Unattached);
        // Read as a stream (JsonDocument's parse time grows with the square of the depth): one object per level, each
        // nested in its parent's "children", the deepest holding the last process.
        var reader = new System.Text.Json.Utf8JsonReader(json, new System.Text.Json.JsonReaderOptions { MaxDepth = 3 * depth });
        var (objects, deepest, lastKey) = (0, 0, "");
        while (reader.Read())
        {
            if (reader.TokenType == System.Text.Json.JsonTokenType.StartObject) objects++;
            deepest = Math.Max(deepest, reader.CurrentDepth);
            if (reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && reader.ValueTextEquals("key"))
            {
                reader.Read();
                lastKey = reader.GetString()!;
            }
        }

        Assert.Equal(depth, objects);
        Assert.Equal(2 * depth, deepest); // the roots list, then an object and its "children" per level
        Assert.Equal("/bin/p100000", lastKey);
    }

    [Theory]
    [InlineData("/usr/sbin/nginx", "/usr/sbin/nginx")]
    [InlineData("/opt/My App/bin/run", "/opt/My App/bin/run")]
    [InlineData("/bin/sh -c *", "/bin/sh")]
    [InlineData("/usr/bin/python3 /opt/my app/main.py", "/usr/bin/python3")]
    [InlineData("/opt/My Tools/bin/bash -c *", "/opt/My Tools/bin/bash")]
    [InlineData("/bin/busybox wget", "/bin/busybox")]
    public void The_executable_of_a_process_key_keeps_spaces_of_its_path(string key, string executable) =>
        Assert.Equal(executable, ProcessTree.ExecutableOf(key));

    [Fact]
    public void Falco_export_keeps_executable_paths_with_spaces_whole()
    {
        var yaml = FalcoExceptions.Render(Profile, [
            Node(1, 0, "process", "/opt/My App/bin/run"),
            Node(2, 1, "process", "/opt/My App/bin/sh -c *"),
            Node(3, 1, "process", "/opt/Tmp */runner"),
        ], ["Run shell untrusted"], minCommonality: 0);

        var document = new DeserializerBuilder().Build().Deserialize<List<Dictionary<object, object>>>(yaml);
        Assert.Equal(["/opt/My App/bin/run", "/opt/My App/bin/sh"], ((List<object>)document[0]["items"]).Cast<string>());
        Assert.Contains("proc.exepath glob \"/opt/Tmp */runner\"", (string)document[1]["condition"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nginx", true)]
    [InlineData("registry.local%2Fteam%2Fapi", true)]
    [InlineData("ghcr.io/org/app@sha256", true)]
    [InlineData("nginx' OR '1'='1", false)]
    [InlineData("../etc", false)]
    [InlineData("a..b", false)]
    [InlineData("", false)]
    [InlineData("nginx\n", false)]
    public void Image_names_are_validated_after_unescaping(string raw, bool valid)
    {
        Assert.Equal(valid, ApiInput.TryImage(raw, out var image));
        if (valid) Assert.DoesNotContain('%', image!);
    }

    [Fact]
    public void Falco_export_puts_patterned_executables_in_a_glob_exception()
    {
        var yaml = FalcoExceptions.Render(Profile, [
            Node(1, 0, "process", "/usr/sbin/nginx"),
            Node(2, 1, "process", "/tmp/*/runner"),
            Node(3, 1, "process", "/bin/busybox wget"),
        ], ["Run shell untrusted"], minCommonality: 0);

        var document = new DeserializerBuilder().Build().Deserialize<List<Dictionary<object, object>>>(yaml);
        Assert.Equal(["/bin/busybox", "/usr/sbin/nginx"], ((List<object>)document[0]["items"]).Cast<string>());
        var exceptions = ((List<object>)document.Single(e => e.ContainsKey("rule"))["exceptions"]).Cast<Dictionary<object, object>>().ToList();
        var glob = exceptions.Single(e => ((List<object>)e["comps"]).Contains("glob"));
        Assert.Equal(["nginx", "1.26", "/tmp/*/runner"], ((List<object>)((List<object>)glob["values"]).Single()).Cast<string>());
        Assert.Contains("proc.exepath glob \"/tmp/*/runner\"", (string)document[1]["condition"]);
    }

    [Fact]
    public void Network_policy_maps_private_destinations_and_skips_classes_it_cannot_express()
    {
        var yaml = NetworkPolicyExport.Render(Profile, [
            Node(1, 0, "process", "/usr/sbin/nginx"),
            Node(2, 1, "network", "tcp/5432/private"),
            Node(3, 1, "network", "udp/5353/link-local"),
            Node(4, 1, "network", "tcp/8080/loopback"),
        ], NetworkPolicyExport.DefaultPodLabel("registry.local/team/web"), ns: null, minCommonality: 0);

        var policy = new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(yaml);
        var spec = (Dictionary<object, object>)policy["spec"];
        var rule = (Dictionary<object, object>)((List<object>)spec["egress"]).Single();
        Assert.Contains(((List<object>)rule["to"]).Cast<Dictionary<object, object>>(), peer => (string)((Dictionary<object, object>)peer["ipBlock"])["cidr"] == "10.0.0.0/8");
        Assert.Equal("5432", ((Dictionary<object, object>)((List<object>)rule["ports"]).Single())["port"]);
        var annotations = (Dictionary<object, object>)((Dictionary<object, object>)policy["metadata"])["annotations"];
        Assert.Equal("udp/5353/link-local", annotations["workloadprofiles.io/skipped"]);
        Assert.Equal("web", ((Dictionary<object, object>)((Dictionary<object, object>)spec["podSelector"])["matchLabels"])["app.kubernetes.io/name"]);
    }
}
