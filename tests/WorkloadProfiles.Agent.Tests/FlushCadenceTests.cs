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
/// producer per container.
/// </summary>
public sealed class FlushCadenceTests
{
    [Fact]
    public async Task A_due_batch_takes_the_pending_batches_of_the_other_containers_with_it()
    {
        var sensor = new ScriptedSensor();
        var publisher = new PollStampingPublisher(sensor);
        var options = new AgentOptions { FlushInterval = TimeSpan.FromSeconds(3), HostName = "test-host", AgentId = "cadence" };
        var pump = new EventPump(sensor, new SensorRecordDecoder(KernelClock.WithOffset(0), new StringPool(), maxArgs: 8), publisher, options,
            new AgentMetrics(), Channel.CreateUnbounded<CgroupChange>().Writer, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var pumping = Task.Factory.StartNew(() => pump.Run(stop.Token), TaskCreationOptions.LongRunning);
        try
        {
            foreach (var (cgroup, id) in new[] { (11UL, "aaaa"), (12UL, "bbbb") })
            {
                await pump.Watch(new ContainerCgroup(cgroup, id, $"/test/{id}"), [], () => []);
                await pump.SetImage(cgroup, new ContainerRef(id, "localhost/cadence", "1"));
            }

            sensor.Deliver(Open(11, "/etc/passwd"));
            // The second container's event arrives a few polls later, well inside the interval even on a loaded machine
            // (a 500 ms interval and 20 polls once lost that race in a parallel test run).
            var later = sensor.Polls + 5;
            await Poll.UntilAsync(() => sensor.Polls >= later, TimeSpan.FromSeconds(30), "5 more polls");
            sensor.Deliver(Open(12, "/etc/hosts"));

            await Poll.UntilAsync(() => publisher.Published.Count >= 2, TimeSpan.FromSeconds(30), "both containers' batches");
            var stamps = publisher.Published.ToDictionary(p => p.Batch.Container.Id, p => p.AtPoll);
            Assert.Equal(["aaaa", "bbbb"], stamps.Keys.Order());
            // Published by the same flush (between two polls), though the second batch was not due on its own yet.
            Assert.Equal(stamps["aaaa"], stamps["bbbb"]);
        }
        finally
        {
            stop.Cancel();
            await pumping;
        }
    }

    static byte[] Open(ulong cgroup, string path)
    {
        var record = new byte[SensorRecordLayout.OpenSize];
        BitConverter.TryWriteBytes(record.AsSpan(8), cgroup);
        BitConverter.TryWriteBytes(record.AsSpan(24), (uint)SensorRecordKind.Open);
        BitConverter.TryWriteBytes(record.AsSpan(28), 42u);
        System.Text.Encoding.UTF8.GetBytes(path).CopyTo(record.AsSpan(SensorRecordLayout.OpenPath));
        BitConverter.TryWriteBytes(record.AsSpan(SensorRecordLayout.OpenPathLen), (ushort)path.Length);
        return record;
    }

    /// <summary>Hands out the records given to it; a poll with nothing to hand out waits its timeout, as the kernel's does.</summary>
    sealed class ScriptedSensor : ISensor
    {
        readonly ConcurrentQueue<byte[]> _records = new();
        long _polls;

        public long Polls => Interlocked.Read(ref _polls);

        public void Deliver(byte[] record) => _records.Enqueue(record);

        public int Poll(ISensorRecordHandler handler, int timeoutMs)
        {
            var count = 0;
            while (_records.TryDequeue(out var record))
            {
                handler.OnRecord(record);
                count++;
            }
            if (count == 0 && timeoutMs > 0) Thread.Sleep(timeoutMs);
            Interlocked.Increment(ref _polls);
            return count;
        }

        public void Watch(ulong cgroupId, ulong container, uint generation, bool nested) { }

        public bool Unwatch(ulong cgroupId) => true;

        public SensorCounters ReadCounters() => new(0, 0, 0, 0, 0, 0, 0, 0);
    }

    /// <summary>Notes, for each published batch, how many polls the sensor had served by then.</summary>
    sealed class PollStampingPublisher(ScriptedSensor sensor) : IEventPublisher
    {
        public ConcurrentQueue<(RawEventBatch Batch, long AtPoll)> Published { get; } = new();

        public void Publish(RawEventBatch batch) => Published.Enqueue((batch, sensor.Polls));

        public void Publish(ContainerInfo container) { }

        public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
