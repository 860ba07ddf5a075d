using System.Text;
using System.Text.Json;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Contracts.Json;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Topology;

public sealed class DetectionTests : IDisposable
{
    readonly TopologyHarness _h = new(new StreamsJobOptions { Jobs = StreamJobs.Detection });

    public void Dispose() => _h.Dispose();

    // Stamped like an agent's record: shortly after its events.
    void Send(RawEventBatch batch) => _h.Pipe(PipelineTopics.RawEvents.Name, batch.Container.Id, _h.Codecs.Batches.Serialize(batch),
        DateTimeOffset.FromUnixTimeMilliseconds(batch.Events[^1].TimestampUs / 1000).UtcDateTime);

    List<(string Key, SecuritySignal Value)> Signals() => _h.Read(PipelineTopics.Signals.Name, _h.Codecs.Signals);

    static RawEventBatch ShellFromNginx(long ts) => Batch(Web1,
        Exec(ts, 1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"),
        new RawEvent { Kind = EventKind.Fork, TimestampUs = ts + 1, Pid = 1, ChildPid = 7, Comm = "nginx" },
        Exec(ts + 2, 7, "/bin/sh", "sh", "-c", "id"));

    [Fact]
    public void Rule_matches_become_signals_keyed_by_profile()
    {
        Send(ShellFromNginx(Minutes(1)));

        var signal = Assert.Single(Signals(), s => s.Value.RuleId == "wp.shell-in-container");
        Assert.Equal("nginx@1.27", signal.Key);
        Assert.Equal("rules", signal.Value.Source);
        Assert.Equal(Web1, signal.Value.Container);
        Assert.Equal(["/usr/sbin/nginx", "/bin/sh"], signal.Value.Behaviour.Ancestry.Select(p => p.ExecutablePath));
    }

    [Fact]
    public void An_accepted_suppression_stops_the_signal_and_is_counted()
    {
        Send(ShellFromNginx(Minutes(1)));
        var signal = Signals().Single(s => s.Value.RuleId == "wp.shell-in-container").Value;
        var nodeId = NodeIdentity.ForBehaviour(signal.Behaviour);
        var suppression = new Suppression
        {
            Id = Suppression.MakeId(signal.RuleId, "nginx", nodeId),
            RuleId = signal.RuleId,
            ImageName = "nginx",
            NodeId = nodeId,
            Expression = $"container.image.name == \"nginx\" && behaviour.node_id == \"{nodeId:x16}\"",
        };
        _h.Pipe(PipelineTopics.Suppressions.Name, suppression.Id, _h.Codecs.Suppressions.Serialize(suppression));

        // nginx (pid 1, already known) spawns the same shell again.
        Send(Batch(Web1,
            new RawEvent { Kind = EventKind.Fork, TimestampUs = Minutes(2), Pid = 1, ChildPid = 8, Comm = "nginx" },
            Exec(Minutes(2) + 1, 8, "/bin/sh", "sh", "-c", "id")));
        Assert.DoesNotContain(Signals(), s => s.Value.RuleId == "wp.shell-in-container");

        // Another image is not covered by the suppression.
        Send(ShellFromNginx(Minutes(3)) with { Container = new ContainerRef("c-other", "httpd", "2.4") });
        Assert.Contains(Signals(), s => s.Value.RuleId == "wp.shell-in-container" && s.Key == "httpd@2.4");

        _h.AdvanceWallClock(TimeSpan.FromSeconds(6));
        Assert.Equal(1, _h.Counter(_h.Metrics.SuppressedSignals));
    }

    [Fact]
    public void Falco_alerts_become_signals_and_bad_alerts_are_dead_lettered()
    {
        const string alert = """
            {"output":"A shell was spawned","priority":"Notice","rule":"Terminal shell in container","time":"2024-05-01T12:00:00Z",
             "output_fields":{"container.id":"c-web-1","container.image.repository":"nginx","container.image.tag":"1.27",
               "evt.type":"execve","proc.exepath":"/bin/bash","proc.cmdline":"bash -i","proc.pname":"runc"}}
            """;
        _h.Pipe("wp.falco", "", Encoding.UTF8.GetBytes(alert));
        _h.Pipe("wp.falco", "", Encoding.UTF8.GetBytes("{not json"));

        var signal = Assert.Single(Signals());
        Assert.Equal("nginx@1.27", signal.Key);
        Assert.Equal("falco", signal.Value.Source);
        var letter = Assert.Single(_h.DeadLetters());
        Assert.Equal("falco-malformed-json", letter.Reason);
        Assert.Equal("wp.falco", letter.SourceTopic);
    }
}

public sealed class FalcoInventoryTests : IDisposable
{
    readonly TopologyHarness _h = new(new StreamsJobOptions { Jobs = StreamJobs.Detection });

    public void Dispose() => _h.Dispose();

    // What falcosidekick writes for Falco's stock "Read sensitive file untrusted" rule: a 12-character container id and the
    // image as the runtime reported it, registry-qualified.
    const string Alert = """
        {"hostname":"node-1","output":"16:25:40.117425584: Warning Sensitive file opened for reading by non-trusted program (file=/etc/shadow gparent=containerd-shim evt_type=openat user=root user_uid=0 process=cat proc_exepath=/usr/bin/cat parent=sh command=cat /etc/shadow terminal=34816 container_id=3ad7b26ded6d container_image=docker.io/library/nginx container_image_tag=1.27 container_name=web k8s_ns=<NA> k8s_pod_name=<NA>)",
         "priority":"Warning","rule":"Read sensitive file untrusted","source":"syscall",
         "tags":["T1555","container","filesystem","host","maturity_stable","mitre_credential_access"],
         "time":"2024-05-01T16:25:40.117425584Z",
         "output_fields":{"container.id":"3ad7b26ded6d","container.image.repository":"docker.io/library/nginx",
           "container.image.tag":"1.27","container.name":"web","evt.time":1714580740117425584,"evt.type":"openat",
           "fd.name":"/etc/shadow","k8s.ns.name":null,"k8s.pod.name":null,"proc.aname[2]":"containerd-shim",
           "proc.cmdline":"cat /etc/shadow","proc.exepath":"/usr/bin/cat","proc.name":"cat","proc.pname":"sh",
           "proc.tty":34816,"user.loginuid":-1,"user.name":"root","user.uid":0}}
        """;

    const string FullId = "3ad7b26ded6d0c4f8e1f7e1d7b2f0a9c5d3e8b1a6f4c2d9e7b5a3c1f0e8d6b4a";

    void Inventory(string id, string image, string tag) =>
        _h.Pipe(PipelineTopics.Containers.Name, id, _h.Codecs.Containers.Serialize(new ContainerInfo
        {
            Container = new ContainerRef(id, image, tag),
            HostName = "node-1",
        }));

    [Fact]
    public void A_Falco_alert_is_mapped_onto_the_agents_container_id_and_image_through_the_inventory()
    {
        Inventory(FullId, "nginx", "1.27");
        Inventory("99aa" + FullId[4..], "redis", "7.2"); // another container: a different short id

        _h.Pipe("wp.falco", "", Encoding.UTF8.GetBytes(Alert));

        var signal = Assert.Single(_h.Read(PipelineTopics.Signals.Name, _h.Codecs.Signals));
        Assert.Equal("nginx@1.27", signal.Key);
        Assert.Equal(new ContainerRef(FullId, "nginx", "1.27"), signal.Value.Container);
        Assert.Equal("falco.read-sensitive-file-untrusted", signal.Value.RuleId);
        Assert.Equal("/etc/shadow", signal.Value.Behaviour.FilePath);
        Assert.Equal(["cat", "/etc/shadow"], signal.Value.Process!.Args);
        Assert.Equal("/usr/bin/cat", signal.Value.Process.ExecutablePath);
        Assert.Equal(1, _h.Counter(_h.Metrics.FalcoContainers, "inventory"));
    }

    [Fact]
    public void An_alert_about_a_container_the_inventory_does_not_know_keeps_its_own_id_and_image()
    {
        Inventory("3ad7b26ded6d" + new string('1', 52), "nginx", "1.27");
        Inventory("3ad7b26ded6d" + new string('2', 52), "nginx", "1.27"); // two containers share the short id: ambiguous

        _h.Pipe("wp.falco", "", Encoding.UTF8.GetBytes(Alert));

        var signal = Assert.Single(_h.Read(PipelineTopics.Signals.Name, _h.Codecs.Signals));
        Assert.Equal(new ContainerRef("3ad7b26ded6d", "docker.io/library/nginx", "1.27"), signal.Value.Container);
        Assert.Equal(1, _h.Counter(_h.Metrics.FalcoContainers, "unknown"));
    }
}

public sealed class EnrichmentTests : IDisposable
{
    readonly TopologyHarness _h = new(new StreamsJobOptions
    {
        Jobs = StreamJobs.Enrichment,
        Enrichment = new EnrichmentOptions { Policy = new SuggestionPolicy { MinNodeCommonality = 0.8, MinLearningSnapshots = 2 } },
    });

    public void Dispose() => _h.Dispose();

    static SecurityProfile Profile(int snapshots)
    {
        var aggregate = new ProfileAggregate(new ProfileKey("nginx", "1.27"));
        for (var i = 0; i < snapshots; i++)
        {
            var start = Minutes(30 * i);
            var builder = new SnapshotBuilder(i % 2 == 0 ? Web1 : Web2, "node-1", start, start + Minutes(30) - T0);
            builder.AddRange(NginxStart(start + 1));
            aggregate.Merge(builder.Build(), start);
        }

        return aggregate.ToProfile();
    }

    static SecuritySignal ConfigRead(string path = "/etc/nginx/nginx.conf") => new()
    {
        SignalId = "sig-" + path,
        RuleId = "wp.read-config",
        RuleName = "Config read",
        TimestampUs = Minutes(90),
        Source = "rules",
        Container = Web1,
        Behaviour = new Behaviour
        {
            Kind = NodeKind.File,
            Ancestry = [new ProcessRef("/usr/sbin/nginx", ["nginx", "-g", "daemon off;"])],
            FilePath = path,
            Access = FileAccessMode.Read,
        },
    };

    void SendProfile(SecurityProfile profile) =>
        _h.Pipe(PipelineTopics.Profiles.Name, profile.Key.ToString(), _h.Codecs.Profiles.Serialize(profile));

    void SendSignal(SecuritySignal signal) =>
        _h.Pipe(PipelineTopics.Signals.Name, signal.Container.ProfileKey!.Value.ToString(), _h.Codecs.Signals.Serialize(signal));

    List<EnrichedSignal> Enriched() => _h.Read(PipelineTopics.EnrichedSignals.Name, _h.Codecs.EnrichedSignals).Select(e => e.Value).ToList();

    [Fact]
    public void Signal_without_a_profile_passes_through_with_profile_none()
    {
        SendSignal(ConfigRead());

        var enriched = Assert.Single(Enriched());
        Assert.Null(enriched.Profile);
        Assert.Null(enriched.Suggestion);
        Assert.Equal("sig-/etc/nginx/nginx.conf", enriched.Signal.SignalId);
        Assert.Equal(1, _h.Counter(_h.Metrics.Enriched, "none", "no"));
    }

    [Fact]
    public void Signal_matching_common_profile_behaviour_gets_context_and_a_suggestion()
    {
        SendProfile(Profile(snapshots: 4));
        SendSignal(ConfigRead());

        var enriched = Assert.Single(Enriched());
        Assert.NotNull(enriched.Profile);
        Assert.Equal(4, enriched.Profile.SnapshotCount);
        Assert.True(enriched.Profile.BehaviourInProfile);
        Assert.Equal(1.0, enriched.Profile.NodeCommonality);
        Assert.NotNull(enriched.Suggestion);
        Assert.Equal("wp.read-config", enriched.Suggestion.RuleId);
        Assert.Equal("nginx", enriched.Suggestion.ImageName);
        Assert.Equal(4, enriched.Suggestion.Evidence.SnapshotCount);
    }

    [Fact]
    public void Signal_for_unknown_behaviour_gets_context_but_no_suggestion()
    {
        SendProfile(Profile(snapshots: 4));
        SendSignal(ConfigRead("/etc/shadow"));

        var enriched = Assert.Single(Enriched());
        Assert.NotNull(enriched.Profile);
        Assert.False(enriched.Profile.BehaviourInProfile);
        Assert.Null(enriched.Suggestion);
        Assert.False(string.IsNullOrEmpty(enriched.NoSuggestionReason));
    }

    [Fact]
    public void The_newest_profile_revision_is_used()
    {
        SendProfile(Profile(snapshots: 1));
        SendSignal(ConfigRead());
        Assert.Null(Assert.Single(Enriched()).Suggestion); // 1 snapshot < MinLearningSnapshots

        SendProfile(Profile(snapshots: 3));
        SendSignal(ConfigRead());
        Assert.NotNull(Assert.Single(Enriched()).Suggestion);
    }

    [Fact]
    public void Malformed_signals_are_dead_lettered()
    {
        _h.Pipe(PipelineTopics.Signals.Name, "nginx@1.27", [9, 9, 9]);
        SendSignal(ConfigRead());

        Assert.Equal("enrichment-job", Assert.Single(_h.DeadLetters()).Consumer);
        Assert.Single(Enriched());
    }

    [Fact]
    public void Every_enriched_signal_is_also_published_as_ecs_json_keyed_alike()
    {
        SendProfile(Profile(snapshots: 4));
        SendSignal(ConfigRead());

        var avro = Assert.Single(_h.Read(PipelineTopics.EnrichedSignals.Name, _h.Codecs.EnrichedSignals));
        var json = Assert.Single(_h.Read(Topics.SignalsEnrichedJson));
        Assert.Equal(avro.Key, json.Key);
        using var document = JsonDocument.Parse(json.Value);
        var ecs = document.RootElement;
        Assert.Equal("sig-/etc/nginx/nginx.conf", ecs.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal("/etc/nginx/nginx.conf", ecs.GetProperty("file").GetProperty("path").GetString());
        Assert.Equal(NodeIdentity.Format(avro.Value.Profile!.NodeId!.Value), ecs.GetProperty("workload_profile").GetProperty("node_id").GetString());
        Assert.Equal(avro.Value.Suggestion!.Expression,
            ecs.GetProperty("workload_profile").GetProperty("suggestion").GetProperty("expression").GetString());
        Assert.Equal(1, _h.Counter(_h.Metrics.RecordsOut, "enrichment", Topics.SignalsEnrichedJson));
    }

    [Fact]
    public void A_drift_signal_is_enriched_and_mapped_like_any_rule()
    {
        SendProfile(Profile(snapshots: 4));
        SendSignal(ConfigRead("/etc/passwd") with { SignalId = "drift-1", RuleId = "wp.drift.file", RuleName = "Drift: file not in the profile" });

        var json = Assert.Single(_h.Read(Topics.SignalsEnrichedJson));
        using var document = JsonDocument.Parse(json.Value);
        var ecs = document.RootElement;
        Assert.Equal("wp.drift.file", ecs.GetProperty("rule").GetProperty("id").GetString());
        Assert.False(ecs.GetProperty("workload_profile").GetProperty("behaviour_in_profile").GetBoolean());
        Assert.False(ecs.GetProperty("workload_profile").TryGetProperty("suggestion", out _));
    }
}

public sealed class EnrichmentJsonOptionsTests
{
    static SecuritySignal Signal => new()
    {
        SignalId = "s-1", RuleId = "wp.read-config", RuleName = "Config read", TimestampUs = Minutes(1), Source = "rules", Container = Web1,
        Behaviour = new Behaviour { Kind = NodeKind.File, Ancestry = [new ProcessRef("/usr/sbin/nginx", ["nginx"])], FilePath = "/etc/hosts" },
    };

    static List<(string Key, byte[] Value)> Run(SignalJsonOptions json, string topic)
    {
        using var h = new TopologyHarness(new StreamsJobOptions { Jobs = StreamJobs.Enrichment, Enrichment = new EnrichmentOptions { Json = json } });
        h.Pipe(PipelineTopics.Signals.Name, "nginx@1.27", h.Codecs.Signals.Serialize(Signal));
        Assert.Single(h.Read(PipelineTopics.EnrichedSignals.Name));
        return h.Read(topic);
    }

    [Fact]
    public void The_topic_and_format_are_configurable()
    {
        var ocsf = Assert.Single(Run(new SignalJsonOptions { Topic = "soc.findings", Format = SignalJsonFormat.Ocsf }, "soc.findings"));
        using var document = JsonDocument.Parse(ocsf.Value);
        Assert.Equal(2004, document.RootElement.GetProperty("class_uid").GetInt32());
    }

    [Fact]
    public void An_empty_topic_turns_the_json_output_off() =>
        Assert.Empty(Run(new SignalJsonOptions { Topic = "" }, Topics.SignalsEnrichedJson));
}
