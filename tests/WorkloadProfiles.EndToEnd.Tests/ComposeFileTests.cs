using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using WorkloadProfiles.Contracts;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>
/// docker-compose.yml cannot run here (no Docker engine), so its structure is checked: the services, their images and
/// Dockerfile targets, KRaft mode, the schema registry every service writes through, the agent's capabilities (not
/// privileged) and host mounts, the streams state volume's owner, healthchecks and start order, the topics kafka-init
/// creates, and volumes.
/// </summary>
public sealed partial class ComposeFileTests
{
    static readonly string Root = FindRoot();
    readonly Dictionary<object, object> _compose = Load();

    Dictionary<object, object> Services => (Dictionary<object, object>)_compose["services"];

    Dictionary<object, object> Service(string name) => (Dictionary<object, object>)Services[name];

    static Dictionary<object, object> Environment(Dictionary<object, object> service) => (Dictionary<object, object>)service["environment"];

    [Fact]
    public void Runs_kafka_in_kraft_mode_and_a_current_clickhouse()
    {
        var kafka = Service("kafka");
        Assert.StartsWith("apache/kafka:", (string)kafka["image"], StringComparison.Ordinal);
        Assert.Equal("broker,controller", Environment(kafka)["KAFKA_PROCESS_ROLES"]);
        Assert.Contains("CONTROLLER", (string)Environment(kafka)["KAFKA_CONTROLLER_LISTENER_NAMES"], StringComparison.Ordinal);
        Assert.False(Environment(kafka).ContainsKey("KAFKA_ZOOKEEPER_CONNECT"));

        var clickHouse = Service("clickhouse");
        var tag = ((string)clickHouse["image"]).Split(':');
        Assert.Equal("clickhouse/clickhouse-server", tag[0]);
        // The production-only migrations need at least their min-server-version; the image must qualify.
        Assert.True(System.Version.Parse(tag[1] + (tag[1].Contains('.', StringComparison.Ordinal) ? "" : ".0")) >= new System.Version(22, 8), $"ClickHouse {tag[1]} is older than the production migrations need");
    }

    [Fact]
    public void Builds_every_project_service_from_a_target_of_the_dockerfile()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        var targets = StageNames().Matches(dockerfile).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var name in new[] { "agent", "streams", "sink", "explorer" })
        {
            var build = (Dictionary<object, object>)Service(name)["build"];
            Assert.Equal(".", build["context"]);
            Assert.Contains((string)build["target"], targets);
            Assert.Equal("kafka:9092", Environment(Service(name))["WP_Kafka__BootstrapServers"]);
        }

        Assert.Contains("Host=clickhouse;", (string)Environment(Service("sink"))["WP_ClickHouse__ConnectionString"], StringComparison.Ordinal);
        Assert.Contains("Port=8123", (string)Environment(Service("sink"))["WP_ClickHouse__ConnectionString"], StringComparison.Ordinal);
        Assert.Equal("true", Environment(Service("sink"))["WP_Sink__Migrate"]);
    }

    [Fact]
    public void The_agent_has_the_capabilities_ebpf_needs_instead_of_privileged_and_the_hosts_btf_cgroups_and_runtime_socket()
    {
        var agent = Service("agent");
        Assert.False(agent.ContainsKey("privileged"), "the agent must not run privileged");
        Assert.Equal(["BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"], ((List<object>)agent["cap_add"]).Cast<string>().Order(StringComparer.Ordinal));
        Assert.False(agent.ContainsKey("cap_add") && ((List<object>)agent["cap_add"]).Cast<string>().Any(c => c is "SYS_ADMIN" or "ALL"));
        Assert.Equal("-1", ((Dictionary<object, object>)((Dictionary<object, object>)agent["ulimits"])["memlock"])["hard"].ToString());
        Assert.Equal("host", agent["pid"]);
        var mounts = ((List<object>)agent["volumes"]).Cast<string>().Select(v => v.Split(':')).ToDictionary(v => v[0], v => v[1..]);
        Assert.Equal(["/sys/kernel/btf", "ro"], mounts["/sys/kernel/btf"]);
        Assert.Equal(["/sys/fs/cgroup", "ro"], mounts["/sys/fs/cgroup"]);
        Assert.Equal(["/sys/kernel/tracing", "ro"], mounts["/sys/kernel/tracing"]);
        Assert.Equal(["/var/run/docker.sock"], mounts["/var/run/docker.sock"]);
        Assert.Equal("unix:///var/run/docker.sock", Environment(agent)["WP_Agent__ContainerRuntimeEndpoint"]);
        Assert.All(Services.Values.Cast<Dictionary<object, object>>(), s => Assert.False(s.ContainsKey("privileged")));
    }

    [Fact]
    public void The_streams_state_volume_belongs_to_the_user_streams_runs_as()
    {
        var streams = Service("streams");
        var stateDir = (string)Environment(streams)["WP_Streams__StateDir"];
        Assert.Contains($"streams-state:{stateDir}", ((List<object>)streams["volumes"]).Cast<string>());

        // A named volume starts as a copy of the image's directory, owner included: the stage must create it for its
        // user before switching to that user (else Docker creates it root-owned and the stream cannot write).
        var stage = Stage("streams");
        var user = UserLine().Match(stage).Groups[1].Value;
        Assert.Equal("app", user);
        var chown = Assert.Single(stage.Split('\n'), l => l.StartsWith("RUN ", StringComparison.Ordinal) && l.Contains(stateDir, StringComparison.Ordinal));
        Assert.Contains($"mkdir -p {stateDir}", chown, StringComparison.Ordinal);
        Assert.Contains($"chown {user}:{user} {stateDir}", chown, StringComparison.Ordinal);
        Assert.True(stage.IndexOf(chown, StringComparison.Ordinal) < stage.IndexOf("USER app", StringComparison.Ordinal), "chown before USER");
    }

    [Fact]
    public void A_schema_registry_runs_and_every_service_writes_through_it()
    {
        var registry = Service("schema-registry");
        Assert.StartsWith("confluentinc/cp-schema-registry:", (string)registry["image"], StringComparison.Ordinal);
        Assert.Equal("PLAINTEXT://kafka:9092", Environment(registry)["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"]);
        Assert.Contains("8081/subjects", HealthCheck(registry), StringComparison.Ordinal);
        foreach (var name in new[] { "agent", "streams", "sink", "explorer" })
        {
            Assert.Equal("http://schema-registry:8081", Environment(Service(name))["WP_Avro__SchemaRegistryUrl"]);
            Assert.Equal("service_healthy", DependsOn(name)["schema-registry"]);
        }
    }

    [Fact]
    public void Services_have_healthchecks_on_their_healthz_and_the_explorer_waits_for_the_migrations()
    {
        Assert.Contains("/dev/tcp/127.0.0.1/9464", HealthCheck(Service("streams")), StringComparison.Ordinal);
        // The sink's /healthz answers 200 only after the migrations and once consuming (Sink:MetricsPort, default 9465).
        Assert.Contains("/dev/tcp/127.0.0.1/9465", HealthCheck(Service("sink")), StringComparison.Ordinal);
        Assert.Contains("GET /healthz", HealthCheck(Service("sink")), StringComparison.Ordinal);
        var explorer = Service("explorer");
        var port = ((string)Environment(explorer)["WP_Explorer__Urls"]).Split(':')[^1];
        Assert.Contains($"/dev/tcp/127.0.0.1/{port}", HealthCheck(explorer), StringComparison.Ordinal);
        Assert.Contains("GET /healthz", HealthCheck(explorer), StringComparison.Ordinal);
        Assert.Equal("service_healthy", DependsOn("explorer")["sink"]);
        Assert.Equal("true", Environment(Service("sink"))["WP_Sink__Migrate"]);

        // Kestrel serves those endpoints: the services that run it are built on the ASP.NET Core runtime image.
        foreach (var name in new[] { "streams", "sink", "explorer" })
        {
            Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", Stage(name), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Kafka_init_creates_every_pipeline_topic_with_its_partitions_and_compaction()
    {
        var script = string.Join('\n', ((List<object>)Service("kafka-init")["command"]).Cast<string>());
        foreach (var topic in Topics.All)
        {
            var line = script.Split('\n').Single(l => l.Contains($"create {topic.Name} ", StringComparison.Ordinal));
            Assert.Contains($"--partitions {topic.Partitions}", line, StringComparison.Ordinal);
            Assert.Equal(topic.Compacted, line.Contains("cleanup.policy=compact", StringComparison.Ordinal));
        }

        // The JSON copy of the enriched signals, partitioned like them, for SOC tools.
        var json = script.Split('\n').Single(l => l.Contains($"create {Topics.SignalsEnrichedJson} ", StringComparison.Ordinal));
        Assert.Contains($"--partitions {Topics.Get(Topics.SignalsEnriched).Partitions}", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Declares_the_named_volumes_the_services_use()
    {
        var declared = ((Dictionary<object, object>)_compose["volumes"]).Keys.Cast<string>().ToHashSet();
        var used = Services.Values.Cast<Dictionary<object, object>>()
            .Where(s => s.ContainsKey("volumes"))
            .SelectMany(s => ((List<object>)s["volumes"]).Cast<string>())
            .Select(v => v.Split(':')[0])
            .Where(source => !source.StartsWith('/') && !source.StartsWith('.'))
            .ToHashSet();
        Assert.NotEmpty(used);
        Assert.Subset(declared, used);
        Assert.Contains("kafka-data", used);
        Assert.Contains("clickhouse-data", used);
    }

    static string HealthCheck(Dictionary<object, object> service) =>
        string.Join(' ', ((List<object>)((Dictionary<object, object>)service["healthcheck"])["test"]).Cast<string>());

    Dictionary<string, string> DependsOn(string service) =>
        ((Dictionary<object, object>)Service(service)["depends_on"]).ToDictionary(
            d => (string)d.Key, d => (string)((Dictionary<object, object>)d.Value)["condition"]);

    /// <summary>The Dockerfile stage named <paramref name="target"/>, from its FROM line to the next.</summary>
    static string Stage(string target)
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile")).ReplaceLineEndings("\n");
        var start = StageNames().Matches(dockerfile).Single(m => m.Groups[1].Value == target).Index;
        var next = StageNames().Matches(dockerfile).Select(m => m.Index).Where(i => i > start).DefaultIfEmpty(dockerfile.Length).Min();
        return dockerfile[start..next];
    }

    static Dictionary<object, object> Load()
    {
        using var reader = new StringReader(File.ReadAllText(Path.Combine(Root, "docker-compose.yml")));
        // The file uses YAML merge keys (<<: *anchor) for shared environment blocks.
        var parser = new MergingParser(new Parser(reader));
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(parser);
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("repository root not found");
    }

    [GeneratedRegex(@"^FROM\s+\S+\s+AS\s+(\S+)", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex StageNames();

    [GeneratedRegex(@"^USER\s+(\S+)", RegexOptions.Multiline)]
    private static partial Regex UserLine();
}
