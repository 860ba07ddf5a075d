using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Broker;

/// <summary>
/// What a SOC tool without Avro sees: the detection and enrichment jobs run against the local broker, and kcat — a
/// separate process on its own librdkafka, as Logstash's or Splunk Connect's Kafka input would be — reads
/// <c>wp.signals.enriched.json</c> as-is. One rule signal (with a profile and a suggestion), one drift signal and one
/// Falco-bridged signal must arrive as ECS documents.
/// </summary>
public sealed class SocJsonOutputTests(ITestOutputHelper output)
{
    const string Kcat = "/usr/bin/kcat";
    static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    const string FalcoAlert = """
        {"hostname":"node-1","output":"Warning A shell was spawned in a container with an attached terminal (user=root shell=bash parent=runc cmdline=bash -i)",
         "priority":"Notice","rule":"Terminal shell in container","source":"syscall","tags":["container","shell","mitre_execution","T1059"],
         "time":"2024-05-01T12:00:00.123456789Z",
         "output_fields":{"container.id":"c-web-2","container.image.repository":"nginx","container.image.tag":"1.27","evt.type":"execve",
           "proc.exepath":"/bin/bash","proc.cmdline":"bash -i","proc.name":"bash","proc.pid":4242,"proc.ppid":4200,"proc.pname":"runc",
           "proc.pexepath":"/usr/bin/runc","user.uid":0}}
        """;

    [Fact]
    public async Task Kcat_reads_rule_drift_and_falco_signals_as_ecs_json()
    {
        Assert.True(File.Exists(Kcat), $"{Kcat} is missing: install it with 'apt-get install -y kcat' (tests/run.sh does).");
        using var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Topics = TopicLayout.Pipeline });
        broker.CreateTopic("wp.falco", Topics.DefaultPartitions);
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        var options = new StreamsJobOptions
        {
            Jobs = StreamJobs.Detection | StreamJobs.Enrichment,
            Enrichment = new EnrichmentOptions { Policy = new SuggestionPolicy { MinLearningSnapshots = 2 } },
        };
        using var stream = await RunningPipeline.StartAsync(broker, options, codecs, "wp-soc", Deadline);

        // Partitioned like Streamiz (murmur2, Java's), so a profile and the signals of its image meet in one enrichment task.
        using var producer = new ProducerBuilder<string, byte[]>(
            new ProducerConfig { BootstrapServers = broker.BootstrapServers, Partitioner = Partitioner.Murmur2Random }).Build();
        // Stamped with the event time, as an agent stamps its batches (the jobs refuse events far older than their record).
        Task Produce(string topic, string key, byte[] value, long? atUs = null) => producer.ProduceAsync(topic, new Message<string, byte[]>
        {
            Key = key,
            Value = value,
            Timestamp = atUs is { } us ? new Timestamp(us / 1000, TimestampType.CreateTime) : Timestamp.Default,
        });

        // The profile of nginx 1.27 knows the shell nginx starts, so the rule signal below gets a suggestion.
        var profile = ShellProfile();
        await Produce(PipelineTopics.Profiles.Name, profile.Key.ToString(), codecs.Profiles.Serialize(profile));

        // 1. A rule signal from the detection job: nginx starts a shell. Once it is out with the profile's context, the
        //    enrichment job has the profile, so the other two signals meet it too.
        await Produce(PipelineTopics.RawEvents.Name, Web1.Id,
            codecs.Batches.Serialize(Batch(Web1, [.. NginxStart(Minutes(10)), .. ShellFromNginx(Minutes(10) + 100)])), Minutes(10) + 200);
        var documents = new Dictionary<string, JsonElement>();
        await Poll.UntilAsync(async () => (await ReadWithKcatAsync(broker.BootstrapServers, documents))
            .TryGetValue("wp.shell-in-container", out var first) && first.Get("workload_profile.status").GetString() == "stable",
            Deadline, "the rule signal, enriched with the profile, on wp.signals.enriched.json");

        // 2. A drift signal, as the drift job publishes it on wp.signals: a process the Stable profile never saw.
        await Produce(PipelineTopics.Signals.Name, "nginx@1.27", codecs.Signals.Serialize(DriftSignal()));
        // 3. A Falco alert, bridged by the detection job.
        await Produce(options.Detection.FalcoTopic, "", Encoding.UTF8.GetBytes(FalcoAlert));
        await Poll.UntilAsync(async () =>
        {
            var read = await ReadWithKcatAsync(broker.BootstrapServers, documents);
            return read.ContainsKey("wp.drift.process") && read.Keys.Any(k => k.StartsWith("falco.", StringComparison.Ordinal));
        }, Deadline, "the drift and Falco signals on wp.signals.enriched.json");
        foreach (var (id, document) in documents) output.WriteLine($"{id}: {document}");

        var rule = documents["wp.shell-in-container"];
        Assert.Equal("signal", rule.Get("event.kind").GetString());
        Assert.Equal(21, rule.Get("event.severity").GetInt32());
        Assert.Equal("Shell spawned in a container", rule.Get("rule.name").GetString());
        Assert.False(string.IsNullOrEmpty(rule.Get("rule.description").GetString()));
        Assert.Contains("T1059.004", rule.Get("threat.technique.id").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("Execution", rule.Get("threat.tactic.name").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("/bin/sh", rule.Get("process.executable").GetString());
        Assert.Equal("sh -c date", rule.Get("process.command_line").GetString());
        Assert.Equal(7, rule.Get("process.pid").GetInt32());
        Assert.Equal("/usr/sbin/nginx", rule.Get("process.parent.executable").GetString());
        Assert.Equal(1, rule.Get("process.parent.pid").GetInt32());
        Assert.Equal("c-web-1", rule.Get("container.id").GetString());
        Assert.Equal("nginx", rule.Get("container.image.name").GetString());
        Assert.Equal("1.27", rule.Get("container.image.tag").GetString());
        Assert.Equal("node-1", rule.Get("host.name").GetString());
        Assert.Equal("2024-01-01T00:10:00.000101Z", rule.Get("@timestamp").GetString());
        Assert.Equal("stable", rule.Get("workload_profile.status").GetString());
        Assert.True(rule.Get("workload_profile.behaviour_in_profile").GetBoolean());
        Assert.Matches("^[0-9a-f]{16}$", rule.Get("workload_profile.node_id").GetString());
        Assert.Contains(rule.Get("workload_profile.node_id").GetString()!, rule.Get("workload_profile.suggestion.expression").GetString());
        Assert.Equal(2, rule.Get("workload_profile.suggestion.evidence.snapshot_count").GetInt32());

        var drift = documents["wp.drift.process"];
        Assert.Equal(47, drift.Get("event.severity").GetInt32());
        Assert.Equal("/tmp/xmrig", drift.Get("process.executable").GetString());
        Assert.Equal("/usr/sbin/nginx", drift.Get("process.parent.executable").GetString());
        Assert.Equal("stable", drift.Get("workload_profile.status").GetString());
        Assert.False(drift.Get("workload_profile.behaviour_in_profile").GetBoolean());
        Assert.False(drift.Get("workload_profile").TryGetProperty("suggestion", out _));
        Assert.False(string.IsNullOrEmpty(drift.Get("workload_profile.no_suggestion_reason").GetString()));

        var falco = documents.Single(d => d.Key.StartsWith("falco.", StringComparison.Ordinal)).Value;
        Assert.Equal("falco.terminal-shell-in-container", falco.Get("rule.id").GetString());
        Assert.Equal("Terminal shell in container", falco.Get("rule.name").GetString());
        Assert.Equal(21, falco.Get("event.severity").GetInt32()); // Notice → low
        Assert.Equal("2024-05-01T12:00:00.123456Z", falco.Get("@timestamp").GetString());
        Assert.Equal("/bin/bash", falco.Get("process.executable").GetString());
        Assert.Equal("bash -i", falco.Get("process.command_line").GetString());
        Assert.Equal(4242, falco.Get("process.pid").GetInt32());
        Assert.Equal("/usr/bin/runc", falco.Get("process.parent.executable").GetString());
        Assert.Equal(4200, falco.Get("process.parent.pid").GetInt32());
        Assert.Equal(["T1059"], falco.Get("threat.technique.id").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("c-web-2", falco.Get("container.id").GetString());
        Assert.Equal("node-1", falco.Get("host.name").GetString());
        Assert.Equal("stable", falco.Get("workload_profile.status").GetString());
    }

    /// <summary>Everything on the JSON topic so far, read by kcat in its own process, by rule id.</summary>
    static async Task<Dictionary<string, JsonElement>> ReadWithKcatAsync(string bootstrap, Dictionary<string, JsonElement> documents)
    {
        var kcat = await ExternalCommand.RunAsync(Kcat,
            ["-C", "-b", bootstrap, "-t", Topics.SignalsEnrichedJson, "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"], [], TimeSpan.FromSeconds(30));
        Assert.True(kcat.ExitCode == 0, $"kcat exited with {kcat.ExitCode}: {kcat.Error}");
        foreach (var line in kcat.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            Assert.Equal("nginx@1.27", line[..tab]); // keyed like wp.signals.enriched
            var document = JsonDocument.Parse(line[(tab + 1)..]).RootElement; // each line is one whole JSON document
            documents[document.Get("rule.id").GetString()!] = document;
        }

        return documents;
    }

    /// <summary>A Stable profile of nginx 1.27 from two containers that both started nginx and its shell.</summary>
    static SecurityProfile ShellProfile()
    {
        var aggregate = new ProfileAggregate(new ProfileKey("nginx", "1.27"), new ProfilePolicy { StableSnapshotCount = 2 });
        foreach (var (container, window) in new[] { (Web1, 0), (Web2, 1) })
        {
            var start = Minutes(30 * window);
            var builder = new SnapshotBuilder(container, "node-1", start, start + Minutes(30) - T0);
            builder.AddRange([.. NginxStart(start + 1), .. ShellFromNginx(start + 100)]);
            aggregate.Merge(builder.Build(), start);
        }

        return aggregate.ToProfile();
    }

    static RawEvent[] ShellFromNginx(long ts) =>
    [
        new RawEvent { Kind = EventKind.Fork, TimestampUs = ts, Pid = 1, ChildPid = 7, Comm = "nginx" },
        Exec(ts + 1, 7, "/bin/sh", "sh", "-c", "date"),
    ];

    static SecuritySignal DriftSignal() => new()
    {
        SignalId = "drift-" + Guid.NewGuid().ToString("N"),
        RuleId = "wp.drift.process",
        RuleName = "Drift: process not in the profile",
        RuleDescription = "A process the image's Stable profile never saw.",
        Severity = Severity.Medium,
        TimestampUs = Minutes(11),
        Source = "drift",
        Container = Web1,
        HostName = "node-1",
        Message = "Drift: /tmp/xmrig is not in the profile of nginx@1.27",
        Tags = ["container", "drift"],
        Process = new ActingProcess { ExecutablePath = "/tmp/xmrig", Args = ["/tmp/xmrig", "-o", "pool:3333"], Name = "xmrig", Pid = 9, Ppid = 1 },
        Behaviour = new Behaviour
        {
            Kind = NodeKind.Process,
            Ancestry =
            [
                new ProcessRef("/usr/sbin/nginx", ["nginx", "-g", "daemon off;"]) { Pid = 1 },
                new ProcessRef("/tmp/xmrig", ["/tmp/xmrig", "-o", "pool:3333"]) { Pid = 9 },
            ],
        },
    };
}

internal static class JsonPath
{
    /// <summary>The value at a dotted path of object members (<c>process.parent.pid</c>).</summary>
    public static JsonElement Get(this JsonElement element, string path)
    {
        foreach (var name in path.Split('.'))
        {
            if (!element.TryGetProperty(name, out element)) throw new KeyNotFoundException($"no '{name}' in '{path}'");
        }

        return element;
    }
}
