using Microsoft.Extensions.Time.Testing;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Agent.Recording;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

[Collection(KernelCollection.Name)]
public sealed class RecordReplayTests(Podman podman)
{
    [Fact]
    public async Task A_live_recording_replays_to_the_same_batches()
    {
        var image = await podman.ImportImageAsync("record");
        var id = await podman.StartAsync(image, "while true; do cat /etc/motd > /dev/null; sleep 1; done");
        var path = Path.Combine(Path.GetTempPath(), $"wp-recording-{Guid.NewGuid():N}.avro");
        var live = new InMemoryPublisher();
        var recording = new RecordingPublisher(path);
        await using (var agent = AgentHarness.Start(podman, "record", new TeePublisher(live, recording)))
        {
            await Poll.UntilAsync(() => live.EventsOf(id).Count(e => e.Kind == EventKind.Exec && e.Args is ["cat", "/etc/motd"]) >= 2,
                TimeSpan.FromSeconds(60), "two iterations of the workload loop");
        }
        await recording.DisposeAsync();

        var replayed = new InMemoryPublisher();
        var count = await Replayer.ReplayAsync(path, replayed, speed: 0, shiftToNow: false, TimeProvider.System, CancellationToken.None);

        Assert.Equal(live.Batches.Count, count);
        Assert.Equal(live.Batches.Select(EventComparison.Describe), replayed.Batches.Select(EventComparison.Describe));
        File.Delete(path);
    }

    [Fact]
    public async Task Replay_reproduces_the_gaps_divided_by_the_speed_and_can_shift_to_now()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wp-recording-{Guid.NewGuid():N}.avro");
        var container = new ContainerRef("c1", "app", "1");
        using (var writer = new Contracts.Recordings.RecordingWriter(File.Create(path)))
        {
            foreach (var second in new[] { 0, 10, 20 })
                writer.Write(new RawEventBatch
                {
                    Container = container,
                    HostName = "h",
                    Sequence = second + 1,
                    Events = [new RawEvent { Kind = EventKind.Exec, TimestampUs = 1_000_000_000_000 + second * 1_000_000L, Pid = 1, ExecutablePath = "/bin/app" }],
                });
        }
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));
        var replayed = new InMemoryPublisher();

        var replay = Replayer.ReplayAsync(path, replayed, speed: 10, shiftToNow: true, time, CancellationToken.None);

        await Poll.UntilAsync(() => replayed.Batches.Count == 1, TimeSpan.FromSeconds(10), "the first batch at once");
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Single(replayed.Batches); // 10 s of recording at speed 10 is 1 s
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Poll.UntilAsync(() => replayed.Batches.Count == 2, TimeSpan.FromSeconds(10), "the second batch after 1 s");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, await replay);
        Assert.Equal(2_000_000_000_000_000L, replayed.Batches[0].Events[0].TimestampUs);
        Assert.Equal(2_000_000_020_000_000L, replayed.Batches[2].Events[0].TimestampUs);
        File.Delete(path);
    }

    private sealed class TeePublisher(params IEventPublisher[] targets) : IEventPublisher
    {
        public void Publish(RawEventBatch batch)
        {
            foreach (var target in targets) target.Publish(batch);
        }

        public void Publish(ContainerInfo container)
        {
            foreach (var target in targets) target.Publish(container);
        }

        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            foreach (var target in targets) await target.FlushAsync(cancellationToken);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public sealed class BundledRecordingTests
{
    [Fact]
    public async Task The_bundled_demo_recording_replays_a_realistic_workload_of_two_containers()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "recordings", "demo-shop.avro");
        var replayed = new InMemoryPublisher();

        var count = await Replayer.ReplayAsync(path, replayed, speed: 0, shiftToNow: true, TimeProvider.System, CancellationToken.None);

        Assert.True(count > 0);
        var containers = replayed.Batches.Select(b => b.Container).Distinct().ToList();
        Assert.Equal(2, containers.Count);
        Assert.All(containers, c => Assert.Equal(("localhost/demo/shop-web", "1.0"), (c.ImageName, c.ImageTag)));
        foreach (var container in containers)
        {
            var events = replayed.EventsOf(container.Id).ToList();
            Assert.Contains(events, e => e.Kind == EventKind.Exec && e.Args is ["/bin/shop-worker"] or [_, "/bin/shop-worker"]);
            Assert.Contains(events, e => e.Kind == EventKind.Open && e.FilePath == "/etc/shop/app.conf");
            Assert.Contains(events, e => e.Kind == EventKind.Dns && e.DnsQuestionName == "orders-db.shop.internal");
            Assert.Contains(events, e => e.Kind == EventKind.Connect && e.DestinationPort == 5432);
            Assert.Contains(events, e => e.Kind == EventKind.Connect && e.DestinationPort == 8080);
        }
        // Shifted to now: the replay looks like live traffic to the windowing job.
        var nowUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        Assert.InRange(replayed.Batches[0].Events[0].TimestampUs, nowUs - 120_000_000, nowUs + 1_000_000);
    }
}
