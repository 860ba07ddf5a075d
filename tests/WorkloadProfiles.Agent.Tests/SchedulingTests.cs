using WorkloadProfiles.Agent.Scheduling;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>Profiling slots against real containers: the cap, hand-over on exit, rotation, and Stable images.</summary>
[Collection(KernelCollection.Name)]
public sealed class SchedulingTests(Podman podman)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Idle = "while true; do sleep 1; done";

    [Fact]
    public async Task Six_containers_get_five_slots_and_the_sixth_gets_one_when_a_profiled_container_ends()
    {
        var image = await podman.ImportImageAsync("slots");
        var ids = new List<string>();
        for (var i = 0; i < 6; i++) ids.Add(await podman.StartAsync(image, Idle));
        var publisher = new InMemoryPublisher();

        await using var agent = AgentHarness.Start(podman, "slots", publisher, maxProfiled: 5);

        await Poll.UntilAsync(() => agent.Host.ProfiledContainerIds.Count == 5, Timeout, "five profiled containers");
        var profiled = agent.Host.ProfiledContainerIds.ToList();
        var waiting = Assert.Single(ids.Except(profiled));
        // Slots are taken as images resolve: the sixth may still be resolving when the fifth took the last slot.
        await Poll.UntilAsync(() => publisher.LatestInfo(waiting) is not null, Timeout, "the sixth container to be resolved");
        Assert.True(publisher.LatestInfo(waiting) is { Profiled: false, State: ContainerState.Running }, "the sixth is known but not profiled");
        Assert.Contains(waiting, agent.Host.WatchedContainerIds);
        Assert.Empty(publisher.ProfilingEventsOf(waiting));

        await podman.RemoveAsync(profiled[0]);

        await Poll.UntilAsync(() => agent.Host.ProfiledContainerIds.Contains(waiting), Timeout, "the sixth container to get the freed slot");
        Assert.Equal(5, agent.Host.ProfiledContainerIds.Count);
        Assert.DoesNotContain(profiled[0], agent.Host.ProfiledContainerIds);
        Assert.Equal(EventKind.ContainerExit, publisher.EventsOf(profiled[0]).Last().Kind);
        await Poll.UntilAsync(() => publisher.ProfilingEventsOf(waiting).Any(e => e.Kind == EventKind.Exec), Timeout, "profiling events of the sixth container");
    }

    [Fact]
    public async Task A_new_container_given_a_free_slot_is_profiled_from_its_first_exec()
    {
        var image = await podman.ImportImageAsync("fromstart");
        var publisher = new InMemoryPublisher();
        // A generous image wait: the container's first batches are held until podman names its image, as on a quiet node.
        await using var agent = AgentHarness.Start(podman, "fromstart", publisher, imageWait: TimeSpan.FromSeconds(30));

        var id = await podman.StartAsync(image, "cat /etc/motd > /dev/null; " + Idle);

        await Poll.UntilAsync(() => publisher.ProfilingEventsOf(id).Any(e => e.Kind == EventKind.Exec && e.Args is ["sleep", "1"]), Timeout,
            "the container's loop in its profiling session");
        // Its start (the entrypoint's exec, its first open) is in the session itself, not only in detection-only batches
        // and a /proc rescan: the snapshot counts what a new container does first.
        Assert.All(publisher.Batches.Where(b => b.Container.Id == id), b => Assert.True(b.Profiling));
        Assert.Contains(publisher.ProfilingEventsOf(id), e => e.Kind == EventKind.Exec && !e.Rescan && e.Args is [_, "-c", _]);
        Assert.Contains(publisher.ProfilingEventsOf(id), e => e.Kind == EventKind.Open && e.FilePath == "/etc/motd");
        Assert.DoesNotContain(publisher.ProfilingEventsOf(id), e => e.Rescan);
    }

    [Fact]
    public async Task A_slot_rotates_to_a_waiting_container_after_one_session()
    {
        var image = await podman.ImportImageAsync("rotation");
        var first = await podman.StartAsync(image, Idle);
        var second = await podman.StartAsync(image, Idle);
        var publisher = new InMemoryPublisher();

        await using var agent = AgentHarness.Start(podman, "rotation", publisher, maxProfiled: 1, sessionLength: TimeSpan.FromSeconds(2));

        bool HadSlot(string id) => publisher.Containers.Any(c => c.Container.Id == id && c.Profiled);
        await Poll.UntilAsync(() => HadSlot(first) && HadSlot(second), Timeout, "both containers to hold the single slot in turn");
        Assert.True(agent.Host.ProfiledContainerIds.Count <= 1);
        // A session that ended by rotation is not an exit: no ContainerExit event.
        Assert.DoesNotContain(publisher.EventsOf(first).Concat(publisher.EventsOf(second)), e => e.Kind == EventKind.ContainerExit);
    }

    [Fact]
    public async Task Stable_images_are_skipped_and_Learning_images_profiled()
    {
        var stableImage = await podman.ImportImageAsync("stable");
        var learningImage = await podman.ImportImageAsync("learning");
        var stable = await podman.StartAsync(stableImage, Idle);
        var learning = await podman.StartAsync(learningImage, Idle);
        var statuses = new ProfileStatusTable();
        statuses.Set(new ProfileKey("localhost/wp-agent-test", "stable"), ProfileStatus.Stable);
        statuses.Set(new ProfileKey("localhost/wp-agent-test", "learning"), ProfileStatus.Learning);
        var publisher = new InMemoryPublisher();

        await using var agent = AgentHarness.Start(podman, "(stable|learning)", publisher, statuses: statuses);

        await Poll.UntilAsync(() => agent.Host.ProfiledContainerIds.Contains(learning), Timeout, "the Learning image's container to be profiled");
        await Poll.UntilAsync(() => publisher.LatestInfo(stable) is not null, Timeout, "the Stable image's container to be known");
        Assert.DoesNotContain(stable, agent.Host.ProfiledContainerIds);
        Assert.False(publisher.LatestInfo(stable)!.Profiled);
        Assert.Empty(publisher.ProfilingEventsOf(stable));
    }
}
