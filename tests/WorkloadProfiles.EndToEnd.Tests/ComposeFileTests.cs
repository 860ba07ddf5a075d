using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using WorkloadProfiles.Contracts;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>
/// docker-compose.yml cannot run here (no Docker engine), so its structure is checked: the services, their images and
/// Dockerfile targets, KRaft mode, the agent's privileges and host mounts, the topics kafka-init creates, and volumes.
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
    public void The_agent_is_privileged_with_the_hosts_btf_cgroups_and_runtime_socket()
    {
        var agent = Service("agent");
        Assert.Equal("true", agent["privileged"].ToString());
        Assert.Equal("host", agent["pid"]);
        var mounts = ((List<object>)agent["volumes"]).Cast<string>().Select(v => v.Split(':')).ToDictionary(v => v[0], v => v[1]);
        Assert.Equal("/sys/kernel/btf", mounts["/sys/kernel/btf"]);
        Assert.Equal("/sys/fs/cgroup", mounts["/sys/fs/cgroup"]);
        Assert.Equal("/var/run/docker.sock", mounts["/var/run/docker.sock"]);
        Assert.Equal("unix:///var/run/docker.sock", Environment(agent)["WP_Agent__ContainerRuntimeEndpoint"]);
        Assert.False(Service("explorer").ContainsKey("privileged"));
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
}
