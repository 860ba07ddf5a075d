using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Agent.Sensor;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>
/// The pump's flush cadence with a scripted sensor: when one container's batch is due, every container's pending batch
/// goes out with it, so a host's batches reach the producer together (one Kafka request) instead of one wake-up of the
/// producer per container; a batch is due a flush interval after the kernel stamped its oldest event, and the pump
/// sleeps until then (at most half an interval) rather than waking every few milliseconds.
/// </summary>
public sealed class FlushCadenceTests
{
    static readonly TimeSpan Interval = TimeSpan.FromSeconds(6);

    [Fact]
    public Task A_due_batch_takes_the_pending_batches_of_the_other_containers_with_it() =>
        WithPumpAsync(async (pump, sensor, publisher) =>
        {
            await WatchAsync(pump, (11UL, "aaaa"), (12UL, "bbbb"));

            sensor.Deliver(Open(11, "/etc/passwd"));
            // Once the first event is read (within half an interval: the longest poll), the pump waits until its batch
            // is due; the second container's event arrives meanwhile, fresh, so its batch is not due on its own then.
            await Poll.UntilAsync(() => !sensor.Read.IsEmpty, TimeSpan.FromSeconds(30), "the first event read");
            sensor.Deliver(Open(12, "/etc/hosts"));

            await Poll.UntilAsync(() => publisher.Published.Count >= 2, TimeSpan.FromSeconds(30), "both containers' batches");
            var stamps = publisher.Published.ToDictionary(p => p.Batch.Container.Id, p => p.AtPoll);
            Assert.Equal(["aaaa", "bbbb"], stamps.Keys.Order());
            // Published by the same flush (between two polls), though the second batch was not due on its own yet.
            Assert.Equal(stamps["aaaa"], stamps["bbbb"]);
        });

    [Fact]
    public Task A_batch_is_due_a_flush_interval_after_its_oldest_event_happened_not_after_the_poll_that_read_it() =>
        WithPumpAsync(async (pump, sensor, publisher) =>
        {
            await WatchAsync(pump, (11UL, "aaaa"));

            // The kernel stamped it a whole interval ago (it waited in the ring buffer): due as soon as it is read.
            sensor.Deliver(Open(11, "/etc/passwd", ageNs: (long)Interval.TotalMilliseconds * 1_000_000));

            await Poll.UntilAsync(() => !publisher.Published.IsEmpty, TimeSpan.FromSeconds(30), "the batch");
            // Published right after the poll that read it (AtPoll counts the polls served by then).
            var (_, readAt) = Assert.Single(sensor.Read);
            Assert.Equal(readAt + 1, Assert.Single(publisher.Published).AtPoll);
        });

    [Fact]
    public Task Polls_wait_half_an_interval_with_nothing_pending_and_until_the_batch_is_due_with_one() =>
        WithPumpAsync(async (pump, sensor, publisher) =>
        {
            await WatchAsync(pump, (11UL, "aaaa"));
            var half = (int)Interval.TotalMilliseconds / 2;
            await Poll.UntilAsync(() => sensor.Timeouts.Count(t => t == half) >= 2, TimeSpan.FromSeconds(30), "two idle polls");

            // Stamped three quarters of an interval ago: the next poll waits about a quarter, the rest of its interval.
            var quarter = (long)Interval.TotalMilliseconds / 4;
            sensor.DeliverAtNextPoll(() => Open(11, "/etc/passwd", ageNs: 3 * quarter * 1_000_000));
            await Poll.UntilAsync(() => !publisher.Published.IsEmpty, TimeSpan.FromSeconds(30), "the batch");

            var (_, readAt) = Assert.Single(sensor.Read);
            var timeouts = sensor.Timeouts.ToArray();
            // The poll after the one that read it waited until the batch was due (at most the quarter left, not the idle
            // half interval), and the batch went out right after it.
            Assert.InRange(timeouts[readAt + 1], 1, quarter);
            Assert.Equal(readAt + 2, Assert.Single(publisher.Published).AtPoll);
        });

    /// <summary>Runs a pump on a scripted sensor with a <see cref="Interval"/> flush interval around <paramref name="test"/>.</summary>
    static async Task WithPumpAsync(Func<EventPump, ScriptedSensor, PollStampingPublisher, Task> test)
    {
        var sensor = new ScriptedSensor();
        var publisher = new PollStampingPublisher(sensor);
        var options = new AgentOptions { FlushInterval = Interval, HostName = "test-host", AgentId = "cadence" };
        var pump = new EventPump(sensor, new SensorRecordDecoder(KernelClock.Sample(), new StringPool(), maxArgs: 8), publisher, options,
            new AgentMetrics(), Channel.CreateUnbounded<CgroupChange>().Writer, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var pumping = Task.Factory.StartNew(() => pump.Run(stop.Token), TaskCreationOptions.LongRunning);
        try
        {
            await test(pump, sensor, publisher);
        }
        finally
        {
            await stop.CancelAsync();
            await pumping;
        }
    }

    static async Task WatchAsync(EventPump pump, params (ulong Cgroup, string Id)[] containers)
    {
        foreach (var (cgroup, id) in containers)
        {
            await pump.Watch(new ContainerCgroup(cgroup, id, $"/test/{id}"), [], () => []);
            await pump.SetImage(cgroup, new ContainerRef(id, "localhost/cadence", "1"));
        }
    }

    /// <summary>An open record stamped by the kernel <paramref name="ageNs"/> ago (the sensor's clock is CLOCK_MONOTONIC).</summary>
    static byte[] Open(ulong cgroup, string path, long ageNs = 0)
    {
        var record = new byte[SensorRecordLayout.OpenSize];
        BitConverter.TryWriteBytes(record.AsSpan(0), KernelClock.MonotonicNowNs() - (ulong)ageNs);
        BitConverter.TryWriteBytes(record.AsSpan(8), cgroup);
        BitConverter.TryWriteBytes(record.AsSpan(24), (uint)SensorRecordKind.Open);
        BitConverter.TryWriteBytes(record.AsSpan(28), 42u);
        System.Text.Encoding.UTF8.GetBytes(path).CopyTo(record.AsSpan(SensorRecordLayout.OpenPath));
        BitConverter.TryWriteBytes(record.AsSpan(SensorRecordLayout.OpenPathLen), (ushort)path.Length);
        return record;
    }

    /// <summary>Hands out the records given to it; a poll with nothing to hand out waits its timeout, as the kernel's does.
    /// Notes each poll's timeout (by poll index) and which poll read each record.</summary>
    sealed class ScriptedSensor : ISensor
    {
        readonly ConcurrentQueue<byte[]> _records = new();
        long _polls;

        public long Polls => Interlocked.Read(ref _polls);

        public ConcurrentQueue<int> Timeouts { get; } = new();

        public ConcurrentQueue<(byte[] Record, int AtPoll)> Read { get; } = new();

        readonly ConcurrentQueue<Func<byte[]>> _atNextPoll = new();

        public void Deliver(byte[] record) => _records.Enqueue(record);

        /// <summary>The record is made when the next poll starts, and read by it.</summary>
        public void DeliverAtNextPoll(Func<byte[]> make) => _atNextPoll.Enqueue(make);

        /// <summary>As the kernel sensor's: what is waiting is read; with nothing waiting, the poll waits its timeout and
        /// then reads what arrived meanwhile.</summary>
        public int Poll(ISensorRecordHandler handler, int timeoutMs)
        {
            Timeouts.Enqueue(timeoutMs);
            while (_atNextPoll.TryDequeue(out var make)) _records.Enqueue(make());
            var count = Drain(handler);
            if (count == 0 && timeoutMs > 0)
            {
                Thread.Sleep(timeoutMs);
                count = Drain(handler);
            }
            Interlocked.Increment(ref _polls);
            return count;
        }

        int Drain(ISensorRecordHandler handler)
        {
            var count = 0;
            while (_records.TryDequeue(out var record))
            {
                handler.OnRecord(record);
                Read.Enqueue((record, (int)Polls));
                count++;
            }
            return count;
        }

        public void Watch(ulong cgroupId, ulong container, uint generation, bool nested) { }

        public bool Unwatch(ulong cgroupId) => true;

        public SensorCounters ReadCounters() => new(0, 0, 0, 0, 0, 0, 0, 0);
    }

    /// <summary>Notes, for each published batch, how many polls the sensor had served by then: a batch published right after
    /// the poll that read its records (poll N, counting from 0) is stamped N + 1.</summary>
    sealed class PollStampingPublisher(ScriptedSensor sensor) : IEventPublisher
    {
        public ConcurrentQueue<(RawEventBatch Batch, long AtPoll)> Published { get; } = new();

        public void Publish(RawEventBatch batch) => Published.Enqueue((batch, sensor.Polls));

        public void Publish(ContainerInfo container) { }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
