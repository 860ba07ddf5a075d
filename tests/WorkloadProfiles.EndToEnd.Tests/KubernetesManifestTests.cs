using System.Text.RegularExpressions;
using WorkloadProfiles.Testing;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>
/// deploy/kubernetes cannot be applied here (no cluster), so what matters is checked on the manifests: rendered by
/// <c>kubectl kustomize</c> for every overlay (where a kubectl with kustomize v4+ exists), and parsed from the base files
/// everywhere. The agent gets the least privileges the sensor needs and every host path it reads; the services get their
/// configuration from the ConfigMap and their secrets from Secrets; every setting is a documented option.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    static readonly string Root = FindRoot();
    static readonly string Deploy = Path.Combine(Root, "deploy", "kubernetes");

    public static TheoryData<string, string, string> Overlays => new()
    {
        { "containerd", "/run/containerd", "cri+unix:///run/containerd/containerd.sock" },
        { "cri-o", "/var/run/crio", "cri+unix:///var/run/crio/crio.sock" },
    };

    [SkippableTheory]
    [MemberData(nameof(Overlays))]
    public async Task Every_overlay_renders_a_least_privilege_agent_and_configured_services(string overlay, string socketDir, string endpoint)
    {
        var kubectl = await KustomizeUnavailableAsync();
        Skip.If(kubectl is not null, kubectl);

        var result = await ExternalCommand.RunAsync("kubectl", ["kustomize", Path.Combine(Deploy, "overlays", overlay)], [], TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, $"kubectl kustomize {overlay} failed: {result.Error}");
        Assert.DoesNotContain("privileged: true", result.Output, StringComparison.Ordinal);
        var objects = ParseAll(result.Output);

        Assert.All(objects.Where(o => Kind(o) != "Namespace"), o => Assert.Equal("workloadprofiles", Str(o, "metadata", "namespace")));
        Assert.DoesNotContain(objects, o => Kind(o) == "Secret"); // secrets are created by the operator, never committed
        var config = Assert.Single(objects, o => Kind(o) == "ConfigMap");
        Assert.StartsWith("workloadprofiles-config-", Str(config, "metadata", "name"), StringComparison.Ordinal); // content-hashed: pods restart on change
        CheckWorkloads(objects, socketDir, endpoint, configMapName: Str(config, "metadata", "name"), pinnedImages: true);
    }

    [Fact]
    public void The_base_manifests_parse_and_give_the_agent_its_mounts_and_no_more_privilege_than_it_needs()
    {
        var objects = Directory.GetFiles(Path.Combine(Deploy, "base"), "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(f => ParseAll(File.ReadAllText(f)))
            .ToList();
        CheckWorkloads(objects, "/run/containerd", "cri+unix:///run/containerd/containerd.sock", "workloadprofiles-config", pinnedImages: false);

        // The generator's input is the configuration every process reads: only documented options.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Deploy, "base", "workloadprofiles.json")))!.AsObject();
        foreach (var (section, value) in json)
            foreach (var (key, _) in value!.AsObject())
                Assert.True(IsDocumentedOption($"{section}:{key}"), $"workloadprofiles.json sets {section}:{key}, which the README's configuration table does not document");
    }

    static void CheckWorkloads(IReadOnlyList<Dictionary<object, object>> objects, string socketDir, string endpoint, string configMapName, bool pinnedImages)
    {
        var agent = Workload(objects, "DaemonSet", "wp-agent");
        var pod = Map(agent, "spec", "template", "spec");
        Assert.Equal(true, Bool(pod, "hostPID"));
        Assert.False(pod.ContainsKey("hostNetwork"), "the agent does not need the host network");
        Assert.Equal(false, Bool(pod, "automountServiceAccountToken")); // the CRI gives the pod metadata, not the API server
        var container = Assert.Single(List(pod, "containers")).As();
        var security = Map(container, "securityContext");
        Assert.Equal(false, Bool(security, "privileged"));
        Assert.Equal(false, Bool(security, "allowPrivilegeEscalation"));
        Assert.Equal(true, Bool(security, "readOnlyRootFilesystem"));
        Assert.Equal(["ALL"], Strings(Map(security, "capabilities"), "drop"));
        Assert.Equal(["BPF", "DAC_READ_SEARCH", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"], Strings(Map(security, "capabilities"), "add").Order());
        Assert.DoesNotContain("SYS_ADMIN", Strings(Map(security, "capabilities"), "add"));

        var env = Env(container);
        var mounts = List(container, "volumeMounts").Select(m => m.As()).ToDictionary(m => Str(m, "mountPath"), m => m);
        var volumes = List(pod, "volumes").Select(v => v.As()).ToDictionary(v => Str(v, "name"), v => v);
        string? HostPathAt(string mountPath) =>
            mounts.TryGetValue(mountPath, out var mount) && volumes[Str(mount, "name")].TryGetValue("hostPath", out var host)
                ? Str(host.As(), "path") : null;
        // Every host path is read-only.
        Assert.All(mounts.Values.Where(m => volumes[Str(m, "name")].ContainsKey("hostPath")), m => Assert.Equal(true, Bool(m, "readOnly")));

        // Kernel BTF where Agent:BtfPath points; tracefs; the host's cgroup v2 tree where Agent:CgroupRoot points (the
        // container's own /sys/fs/cgroup is namespaced); the runtime's socket directory holding the endpoint's socket.
        Assert.Equal("/sys/kernel/btf", HostPathAt(Path.GetDirectoryName(env["WP_Agent__BtfPath"])!));
        Assert.Equal("/sys/kernel/tracing", HostPathAt("/sys/kernel/tracing"));
        Assert.Equal("/sys/fs/cgroup", HostPathAt(env["WP_Agent__CgroupRoot"]));
        Assert.NotEqual("/sys/fs/cgroup", env["WP_Agent__CgroupRoot"]);
        Assert.Equal(endpoint, env["WP_Agent__ContainerRuntimeEndpoint"]);
        Assert.Equal(socketDir, Path.GetDirectoryName(endpoint["cri+unix://".Length..]));
        Assert.Equal(socketDir, HostPathAt(socketDir));
        Assert.Equal(new[] { "/etc/workloadprofiles", "/host/sys/fs/cgroup", "/sys/kernel/btf", "/sys/kernel/tracing", "/tmp", socketDir }.Order(StringComparer.Ordinal),
            mounts.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("$(NODE_NAME)", env["WP_Agent__HostName"]);

        var streams = Workload(objects, "StatefulSet", "wp-streams");
        var streamsContainer = Container(streams);
        var streamsEnv = Env(streamsContainer);
        var claim = Assert.Single(List(Map(streams, "spec"), "volumeClaimTemplates")).As();
        Assert.Equal(streamsEnv["WP_Streams__StateDir"],
            Str(List(streamsContainer, "volumeMounts").Select(m => m.As()).Single(m => Str(m, "name") == Str(claim, "metadata", "name")), "mountPath"));
        Assert.Equal("0.0.0.0", streamsEnv["WP_Http__Address"]); // the kubelet probes /healthz from outside the pod
        Assert.Equal("/healthz", Str(Map(streamsContainer, "readinessProbe"), "httpGet", "path"));

        var explorer = Container(Workload(objects, "Deployment", "wp-explorer"));
        var sink = Container(Workload(objects, "Deployment", "wp-sink"));
        Assert.Equal(("workloadprofiles-explorer", "token"), SecretRef(explorer, "WP_Explorer__Token"));
        Assert.Equal(("workloadprofiles-clickhouse", "connection-string"), SecretRef(explorer, "WP_ClickHouse__ConnectionString"));
        Assert.Equal(("workloadprofiles-clickhouse", "connection-string"), SecretRef(sink, "WP_ClickHouse__ConnectionString"));
        Assert.StartsWith("http://0.0.0.0:", Env(explorer)["WP_Explorer__Urls"], StringComparison.Ordinal);

        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        foreach (var (kind, name, target) in new[]
        {
            ("DaemonSet", "wp-agent", "agent"), ("StatefulSet", "wp-streams", "streams"), ("Deployment", "wp-sink", "sink"), ("Deployment", "wp-explorer", "explorer"),
        })
        {
            var workload = Workload(objects, kind, name);
            var main = Container(workload);
            var image = Str(main, "image");
            Assert.Equal($"workloadprofiles/{target}", image.Split(':')[0]);
            Assert.Matches($@"(?m)^FROM \S+ AS {target}$", dockerfile);
            if (pinnedImages) Assert.Matches(@":\d+\.\d+\.\d+$", image);
            // Configuration from the ConfigMap at WP_CONFIG; every WP_ variable a documented option.
            var configMount = List(main, "volumeMounts").Select(m => m.As()).Single(m => Str(m, "name") == "config");
            Assert.Equal(Env(main)["WP_CONFIG"], $"{Str(configMount, "mountPath")}/workloadprofiles.json");
            var podSpec = Map(workload, "spec", "template", "spec");
            Assert.Equal(configMapName, Str(List(podSpec, "volumes").Select(v => v.As()).Single(v => Str(v, "name") == "config"), "configMap", "name"));
            foreach (var variable in Env(main).Keys.Where(k => k.StartsWith("WP_", StringComparison.Ordinal) && k != "WP_CONFIG"))
                Assert.True(IsDocumentedOption(variable["WP_".Length..].Replace("__", ":", StringComparison.Ordinal)),
                    $"{name} sets {variable}, which the README's configuration table does not document");
            Assert.Equal(false, Bool(podSpec, "automountServiceAccountToken"));
            if (target != "agent")
            {
                Assert.Equal(true, Bool(Map(podSpec, "securityContext"), "runAsNonRoot"));
                Assert.Equal(true, Bool(Map(main, "securityContext"), "readOnlyRootFilesystem"));
                Assert.Equal(["ALL"], Strings(Map(main, "securityContext", "capabilities"), "drop"));
            }
            Assert.True(Map(main, "resources").ContainsKey("limits"), $"{name} has no resource limits");
        }
    }

    /// <summary>
    /// Options in the README's configuration table. A row's first cell names one or more (<c>`Http:Address`, `Http:Port`</c>;
    /// <c>`Sink:MaxBatchRecords` / `MaxBatchRows`</c> continue the first one's section) or a family
    /// (<c>`Sink:Topics:*`</c>, <c>`Kafka:Client:&lt;librdkafka property&gt;`</c>).
    /// </summary>
    static bool IsDocumentedOption(string option)
    {
        foreach (Match row in OptionCell().Matches(File.ReadAllText(Path.Combine(Root, "README.md"))))
        {
            string? section = null;
            foreach (Match name in Backticked().Matches(row.Groups[1].Value))
            {
                var documented = name.Groups[1].Value;
                if (documented.Contains(':', StringComparison.Ordinal)) section = documented[..documented.IndexOf(':', StringComparison.Ordinal)];
                else if (section is not null) documented = $"{section}:{documented}";
                var family = documented.IndexOfAny(['*', '<']);
                if (documented == option || documented.StartsWith(option + ":", StringComparison.Ordinal)
                    || (family > 0 && option.StartsWith(documented[..family], StringComparison.Ordinal)))
                    return true;
            }
        }
        return false;
    }

    [GeneratedRegex(@"(?m)^\| (`[^|]+) \|")]
    private static partial Regex OptionCell();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex Backticked();

    static async Task<string?> KustomizeUnavailableAsync()
    {
        CommandResult version;
        try
        {
            version = await ExternalCommand.RunAsync("kubectl", ["version", "--client"], [], TimeSpan.FromSeconds(30));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "kubectl is not installed: the overlays are not rendered (the base manifests are still checked)";
        }
        var kustomize = KustomizeVersion().Match(version.Output);
        return kustomize.Success && int.Parse(kustomize.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 4
            ? null
            : $"kubectl's kustomize is older than v4 ({version.Output.Trim()}): the overlays use labels/patches";
    }

    [GeneratedRegex(@"Kustomize Version: v(\d+)\.")]
    private static partial Regex KustomizeVersion();

    static List<Dictionary<object, object>> ParseAll(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            if (deserializer.Deserialize<Dictionary<object, object>?>(parser) is { } document) documents.Add(document);
        }
        return documents;
    }

    static Dictionary<object, object> Workload(IEnumerable<Dictionary<object, object>> objects, string kind, string name) =>
        Assert.Single(objects, o => Kind(o) == kind && Str(o, "metadata", "name") == name);

    static Dictionary<object, object> Container(Dictionary<object, object> workload) =>
        List(Map(workload, "spec", "template", "spec"), "containers")[0].As();

    static Dictionary<string, string> Env(Dictionary<object, object> container) =>
        List(container, "env").Select(e => e.As()).Where(e => e.ContainsKey("value"))
            .ToDictionary(e => Str(e, "name"), e => Str(e, "value"));

    static (string Secret, string Key) SecretRef(Dictionary<object, object> container, string variable)
    {
        var entry = List(container, "env").Select(e => e.As()).Single(e => Str(e, "name") == variable);
        Assert.False(entry.ContainsKey("value"), $"{variable} is a literal; it must come from a Secret");
        var reference = Map(entry, "valueFrom", "secretKeyRef");
        return (Str(reference, "name"), Str(reference, "key"));
    }

    static string Kind(Dictionary<object, object> o) => Str(o, "kind");

    static Dictionary<object, object> Map(Dictionary<object, object> node, params string[] path)
    {
        foreach (var key in path) node = node[key].As();
        return node;
    }

    static string Str(Dictionary<object, object> node, params string[] path) =>
        (string)(path.Length == 1 ? node[path[0]] : Map(node, path[..^1])[path[^1]]);

    static bool? Bool(Dictionary<object, object> node, string key) =>
        node.TryGetValue(key, out var value) ? bool.Parse((string)value) : null;

    static List<object> List(Dictionary<object, object> node, string key) => (List<object>)node[key];

    static List<string> Strings(Dictionary<object, object> node, string key) => [.. List(node, key).Cast<string>()];

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}

internal static class YamlNodes
{
    public static Dictionary<object, object> As(this object node) => (Dictionary<object, object>)node;
}
