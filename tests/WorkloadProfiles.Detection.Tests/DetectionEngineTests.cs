using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;
using static WorkloadProfiles.Detection.Tests.Events;

namespace WorkloadProfiles.Detection.Tests;

public sealed class DetectionEngineTests
{
    private static readonly RuleSet Defaults = RuleSet.LoadDefault();

    private static RuleSet Rules(string yaml) => RuleSet.Parse(yaml, "test.yaml");

    // nginx (pid 1) forks 20, which execs `sh -c ...`; the shell forks 21, which execs curl.
    private static RawEvent[] NginxShellCurl() =>
    [
        Exec(1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"),
        Fork(1, 20, "nginx"),
        Exec(20, "/bin/sh", "sh", "-c", "curl -s http://10.0.0.9/health"),
        Fork(20, 21, "sh"),
        Exec(21, "/usr/bin/curl", "curl", "-s", "http://10.0.0.9/health"),
    ];

    [Fact]
    public void Signal_carries_root_first_ancestry_of_a_fork_exec_chain()
    {
        var engine = new DetectionEngine(Defaults);
        var signals = engine.Evaluate(Batch([.. NginxShellCurl(), Open(21, "/etc/shadow", comm: "curl")]));

        var curl = Assert.Single(signals, s => s.RuleId == "wp.network-tool");
        Assert.Equal(NodeKind.Process, curl.Behaviour.Kind);
        Assert.Equal(["/usr/sbin/nginx", "/bin/sh", "/usr/bin/curl"], curl.Behaviour.Ancestry.Select(p => p.ExecutablePath));
        Assert.Equal(["sh", "-c", "curl -s http://10.0.0.9/health"], curl.Behaviour.Ancestry[1].Args);

        var shadow = Assert.Single(signals, s => s.RuleId == "wp.read-credentials");
        Assert.Equal(NodeKind.File, shadow.Behaviour.Kind);
        Assert.Equal("/etc/shadow", shadow.Behaviour.FilePath);
        Assert.Equal(FileAccessMode.Read, shadow.Behaviour.Access);
        Assert.Equal(curl.Behaviour.Ancestry, shadow.Behaviour.Ancestry);
    }

    [Fact]
    public void Remembered_file_rule_outcomes_give_each_event_its_own_signal_and_ancestry()
    {
        var engine = new DetectionEngine(Defaults);
        var signals = engine.Evaluate(Batch([
            .. NginxShellCurl(),
            Open(21, "/etc/shadow", comm: "curl"),
            Open(1, "/etc/shadow", comm: "nginx"),
            Open(1, "/etc/hosts", comm: "nginx"),
            Open(21, "/etc/shadow", comm: "curl"),
        ]));

        var shadow = signals.Where(s => s.RuleId == "wp.read-credentials").ToList();
        Assert.Equal(3, shadow.Count);
        Assert.Equal(["/usr/sbin/nginx", "/bin/sh", "/usr/bin/curl"], shadow[0].Behaviour.Ancestry.Select(p => p.ExecutablePath));
        Assert.Equal(["/usr/sbin/nginx"], shadow[1].Behaviour.Ancestry.Select(p => p.ExecutablePath));
        Assert.Equal(NodeIdentity.ForBehaviour(shadow[0].Behaviour), NodeIdentity.ForBehaviour(shadow[2].Behaviour));
        Assert.Equal(3, engine.Counters.Matched["wp.read-credentials"]);
        Assert.Equal(0, engine.Counters.Matched["wp.write-below-etc"]);

        // The open flags are part of what is remembered: the same path opened for writing is another outcome.
        var written = engine.Evaluate(Batch(Open(1, "/etc/hosts", flags: 0x1, comm: "nginx")));
        Assert.Equal("/etc/hosts", Assert.Single(written, s => s.RuleId == "wp.write-below-etc").Behaviour.FilePath);
    }

    [Fact]
    public void Remembered_file_outcomes_answer_by_value_whatever_instance_or_slot_the_path_comes_in()
    {
        var engine = new DetectionEngine(Defaults);
        // Thousands of distinct paths (more than the engine's recent outcomes hold, so slots are taken over), the same
        // value as new string instances, and the same instance with other flags: each open gets its own rules' outcome.
        var events = new List<RawEvent>();
        var expectedReads = 0;
        var expectedWrites = 0;
        var shadow = "/etc/shadow";
        var paths = Enumerable.Range(0, 1_500).Select(i => $"/etc/conf-{i}.d").ToArray();
        for (var i = 0; i < 6_000; i++)
        {
            var path = i % 3 == 0 ? (i % 2 == 0 ? shadow : new string(shadow.AsSpan())) : paths[i % paths.Length];
            var flags = i % 5 == 0 ? 0x41 : 0;
            events.Add(Open(1, path, flags: flags, comm: "nginx"));
            if (path == "/etc/shadow") expectedReads++;
            if (flags != 0) expectedWrites++;
        }

        var signals = engine.Evaluate(Batch([.. events]));

        Assert.Equal(expectedReads, signals.Count(s => s.RuleId == "wp.read-credentials"));
        Assert.Equal(expectedWrites, signals.Count(s => s.RuleId == "wp.write-below-etc"));
        Assert.All(signals.Where(s => s.RuleId == "wp.read-credentials"), s => Assert.Equal("/etc/shadow", s.Behaviour.FilePath));
    }

    [Fact]
    public void Open_rules_that_read_the_process_are_evaluated_for_every_event()
    {
        var engine = new DetectionEngine(Rules("""
            rules:
              - id: test.shell-reads-data
                name: shell reads data
                severity: low
                event: open
                condition: file.path == "/data/x" && process.name == "sh"
            """));

        var signals = engine.Evaluate(Batch(
            Exec(1, "/bin/sh", "sh"), Open(1, "/data/x", comm: "sh"),
            Exec(2, "/usr/sbin/nginx", "nginx"), Open(2, "/data/x", comm: "nginx"),
            Open(1, "/data/x", comm: "sh")));

        Assert.Equal(2, signals.Count);
        Assert.All(signals, s => Assert.Equal("/bin/sh", s.Behaviour.Ancestry[^1].ExecutablePath));
    }

    [Fact]
    public void Lineage_carries_over_batches_of_the_same_container_only()
    {
        var engine = new DetectionEngine(Defaults);
        engine.Evaluate(Batch(NginxShellCurl()));
        var other = new ContainerRef("other", "redis", "7");

        var same = Assert.Single(engine.Evaluate(Batch(Connect(21, "198.51.100.1", 3333, comm: "curl"))));
        var elsewhere = Assert.Single(engine.Evaluate(Batch(other, Connect(21, "198.51.100.1", 3333, comm: "curl"))));

        Assert.Equal(["/usr/sbin/nginx", "/bin/sh", "/usr/bin/curl"], same.Behaviour.Ancestry.Select(p => p.ExecutablePath));
        Assert.Equal(NodeKind.Network, same.Behaviour.Kind);
        Assert.Equal((NetworkTransport.Tcp, "198.51.100.1", 3333),
            (same.Behaviour.Transport, same.Behaviour.DestinationAddress, same.Behaviour.DestinationPort));
        // Another container never saw pid 21 exec: it is an unknown process under the root, known by its comm.
        Assert.Equal(["curl"], elsewhere.Behaviour.Ancestry.Select(p => p.ExecutablePath));
        Assert.Equal(2, engine.Counters.ContainersTracked);
    }

    [Fact]
    public void Parent_fields_and_command_line_are_available_to_conditions()
    {
        var engine = new DetectionEngine(Rules("""
            rules:
              - id: test.curl-from-shell
                name: curl from a shell
                severity: high
                event: exec
                condition: >-
                  process.name == "curl" && process.parent.executable.path == "/bin/sh" && process.parent.name == "sh"
                  && process.parent.args.At(1) == "-c" && process.command_line.ContainsAny("/health")
                  && process.args_count == 3 && container.image.name == "nginx" && host.name == "node-1"
              - id: test.open-by-curl
                name: open by curl
                severity: low
                event: open
                condition: process.executable.path == "/usr/bin/curl" && process.parent.executable.path == "/bin/sh" && file.name == "resolv.conf"
            """));

        var signals = engine.Evaluate(Batch([.. NginxShellCurl(), Open(21, "/etc/resolv.conf", comm: "curl")]));

        Assert.Equal(["test.curl-from-shell", "test.open-by-curl"], signals.Select(s => s.RuleId));
    }

    [Fact]
    public void Signal_fields_come_from_rule_event_and_batch()
    {
        var engine = new DetectionEngine(Defaults);
        var exec = Exec(7, "/tmp/xmrig", "xmrig", "--donate-level", "1");
        var signal = Assert.Single(engine.Evaluate(Batch(exec)));

        Assert.Equal("wp.exec-from-tmp", signal.RuleId);
        Assert.Equal("Executable run from a temporary directory", signal.RuleName);
        Assert.Equal(Severity.High, signal.Severity);
        Assert.Equal(exec.TimestampUs, signal.TimestampUs);
        Assert.Equal("rules", signal.Source);
        Assert.Equal(Nginx, signal.Container);
        Assert.Equal("node-1", signal.HostName);
        Assert.Contains("drift", signal.Tags);
        Assert.Contains("xmrig --donate-level 1", signal.Message);
        Assert.Contains("nginx:1.27", signal.Message);
    }

    [Fact]
    public void Signal_ids_are_deterministic_and_distinguish_rule_event_and_container()
    {
        var events = NginxShellCurl();
        var first = new DetectionEngine(Defaults).Evaluate(Batch(events));
        var replay = new DetectionEngine(Defaults).Evaluate(Batch(events));

        Assert.Equal(first.Select(s => s.SignalId), replay.Select(s => s.SignalId));
        Assert.All(first, s => Assert.Matches("^[0-9a-f]{32}$", s.SignalId));
        // The sh exec fires one rule, curl another: all ids differ.
        Assert.Equal(first.Count, first.Select(s => s.SignalId).Distinct().Count());

        var later = events.Select(e => e with { TimestampUs = e.TimestampUs + 1 }).ToArray();
        var elsewhere = new ContainerRef("other", "nginx", "1.27");
        Assert.Empty(new DetectionEngine(Defaults).Evaluate(Batch(later)).Select(s => s.SignalId).Intersect(first.Select(s => s.SignalId)));
        Assert.Empty(new DetectionEngine(Defaults).Evaluate(Batch(elsewhere, events)).Select(s => s.SignalId).Intersect(first.Select(s => s.SignalId)));
    }

    [Fact]
    public void A_rescanned_process_is_not_evaluated_again_but_keeps_its_place_in_the_lineage()
    {
        var engine = new DetectionEngine(RuleSet.LoadDefault());
        var shell = Exec(10, "/bin/busybox", "sh", "-c", "loop");
        var first = engine.Evaluate(Batch(shell, Open(10, "/etc/shadow")));
        Assert.Equal(["wp.shell-in-container", "wp.read-credentials"], first.Select(s => s.RuleId));

        // A profiling session begins: the agent re-reads the running shell and its open files from /proc.
        var rescan = engine.Evaluate(Batch(shell with { TimestampUs = 50, Rescan = true }, Open(10, "/etc/shadow") with { TimestampUs = 50, Rescan = true }));
        Assert.Empty(rescan);

        var child = engine.Evaluate(Batch(Fork(10, 11), Exec(11, "/bin/busybox", "nc", "10.0.0.1", "4444")));
        var signal = Assert.Single(child, s => s.RuleId == "wp.network-tool");
        Assert.Equal(["sh -c loop", "nc 10.0.0.1 4444"], signal.Behaviour.Ancestry.Select(p => string.Join(' ', p.Args)));
    }

    [Fact]
    public void A_signal_shows_the_acting_process_not_the_first_process_of_its_node()
    {
        var engine = new DetectionEngine(RuleSet.LoadDefault());
        engine.Evaluate(Batch(Exec(10, "/bin/busybox", "sh", "-c", "health"), Exec(11, "/bin/busybox", "cat", "/etc/motd") with { Ppid = 10 }));

        var signals = engine.Evaluate(Batch(
            Exec(20, "/bin/busybox", "sh", "-c", "injected") with { ProcessStartUs = 3, WorkingDirectory = "/tmp" },
            Exec(21, "/bin/busybox", "cat", "/etc/shadow") with { Ppid = 20, Uid = 1000, ProcessStartUs = 4 },
            Open(21, "/etc/shadow") with { Uid = 1000, Ppid = 20, ProcessStartUs = 4 }));

        var read = Assert.Single(signals, s => s.RuleId == "wp.read-credentials");
        Assert.Equal(["cat", "/etc/shadow"], read.Process!.Args);
        Assert.Equal((21, 20, 1000u, 4L), (read.Process.Pid, read.Process.Ppid, read.Process.Uid, read.Process.StartUs));
        Assert.Equal(["sh -c injected", "cat /etc/shadow"], read.Behaviour.Ancestry.Select(p => string.Join(' ', p.Args)));
        Assert.Contains("`cat /etc/shadow`", read.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disabled_rules_are_not_evaluated()
    {
        var engine = new DetectionEngine(Rules("""
            rules:
              - id: test.off
                name: Off
                severity: low
                event: exec
                condition: "true"
                enabled: false
            """));
        Assert.Empty(engine.Evaluate(Batch(Exec(1, "/bin/true"))));
        Assert.Equal(0, engine.Counters.EventsEvaluated);
    }

    [Fact]
    public void Counters_count_events_evaluations_and_matches_per_rule()
    {
        var engine = new DetectionEngine(Defaults);
        engine.Evaluate(Batch([.. NginxShellCurl(), Exit(21), Open(20, "/etc/hosts", comm: "sh")]));

        var c = engine.Counters;
        Assert.Equal(1, c.Batches);
        Assert.Equal(7, c.Events);
        // Forks and exits run no rule: 3 execs + 1 open.
        Assert.Equal(4, c.EventsEvaluated);
        Assert.Equal(1, c.Matched["wp.shell-in-container"]);
        Assert.Equal(1, c.Matched["wp.network-tool"]);
        Assert.Equal(0, c.Matched["wp.read-credentials"]);
        Assert.Equal(2, c.Signals);
        Assert.All(c.Suppressed.Values, v => Assert.Equal(0, v));
    }

    [Fact]
    public void A_condition_that_throws_is_a_non_match_and_counted()
    {
        var engine = new DetectionEngine(Rules("""
            rules:
              - id: test.third-arg
                name: Third argument
                severity: low
                event: exec
                condition: process.args[2] == "x"
            """));

        Assert.Empty(engine.Evaluate(Batch(Exec(1, "/bin/ls", "ls"))));
        Assert.Single(engine.Evaluate(Batch(Exec(2, "/bin/ls", "ls", "-l", "x"))));
        Assert.Equal(1, engine.Counters.RuleErrors["test.third-arg"]);
    }

    [Fact]
    public void Container_exit_drops_its_lineage()
    {
        var engine = new DetectionEngine(Defaults);
        engine.Evaluate(Batch(NginxShellCurl()));
        Assert.Equal(1, engine.Counters.ContainersTracked);

        engine.Evaluate(Batch(ContainerExit()));
        Assert.Equal((0, 1L), (engine.Counters.ContainersTracked, engine.Counters.ContainersExited));

        // A reused container id starts from scratch: pid 21 is unknown again.
        var signal = Assert.Single(engine.Evaluate(Batch(Connect(21, "198.51.100.1", 3333, comm: "curl"))));
        Assert.Equal(["curl"], signal.Behaviour.Ancestry.Select(p => p.ExecutablePath));
    }

    [Fact]
    public void Least_recently_seen_container_is_evicted_beyond_the_cap()
    {
        var engine = new DetectionEngine(Defaults, options: new DetectionOptions { MaxContainers = 2 });
        ContainerRef a = new("a", "app", "1"), b = new("b", "app", "1"), c = new("c", "app", "1");
        engine.Evaluate(Batch(a, Exec(5, "/usr/bin/app")));
        engine.Evaluate(Batch(b, Exec(5, "/usr/bin/app")));
        engine.Evaluate(Batch(a, Fork(5, 6)));   // a is now more recent than b
        engine.Evaluate(Batch(c, Exec(5, "/usr/bin/app")));

        Assert.Equal((2, 1L), (engine.Counters.ContainersTracked, engine.Counters.ContainersEvicted));
        var inA = Assert.Single(engine.Evaluate(Batch(a, Open(5, "/etc/shadow", comm: "app"))));
        var inB = Assert.Single(engine.Evaluate(Batch(b, Open(5, "/etc/shadow", comm: "app"))));
        Assert.Equal(["/usr/bin/app"], inA.Behaviour.Ancestry.Select(p => p.ExecutablePath));
        Assert.Equal(["app"], inB.Behaviour.Ancestry.Select(p => p.ExecutablePath));
    }

    [Fact]
    public void Process_table_is_reset_when_it_outgrows_the_cap()
    {
        var engine = new DetectionEngine(Defaults, options: new DetectionOptions { MaxProcessesPerContainer = 10 });
        var forks = Enumerable.Range(2, 12).Select(child => Fork(1, child)).ToArray();
        engine.Evaluate(Batch([Exec(1, "/usr/bin/app"), .. forks]));

        Assert.Equal(1, engine.Counters.ProcessTablesReset);
        Assert.Equal(1, engine.Counters.ContainersTracked);
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionEngine(Defaults, options: new DetectionOptions { MaxContainers = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DetectionEngine(Defaults, options: new DetectionOptions { MaxProcessesPerContainer = 0 }));
    }

    [Fact]
    public void Events_no_rule_matches_allocate_nothing()
    {
        var engine = new DetectionEngine(Defaults);
        engine.Evaluate(Batch(Exec(100, "/usr/local/bin/app")));
        var benign = Batch([.. Enumerable.Range(0, 1_000).SelectMany(i => new[]
        {
            Open(100, "/var/lib/app/data.db", ReadWrite),
            Open(100, "/etc/hosts"),
            Dns(100, "api.example.com"),
            Connect(100, "10.0.0.5", 5432),
        })]);
        engine.Evaluate(benign); // warm up (JIT, lazy statics)

        var before = GC.GetAllocatedBytesForCurrentThread();
        var signals = engine.Evaluate(benign);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Empty(signals);
        Assert.True(allocated < 1_024, $"{allocated} bytes allocated for 4000 non-matching events");
    }
}
