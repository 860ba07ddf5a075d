using System.Collections.Concurrent;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>Collects what the agent publishes, for assertions.</summary>
internal sealed class InMemoryPublisher : IEventPublisher
{
    private readonly ConcurrentQueue<RawEventBatch> _batches = new();
    private readonly ConcurrentQueue<ContainerInfo> _containers = new();
    private readonly Dictionary<string, int> _taken = [];

    public IReadOnlyList<RawEventBatch> Batches => [.. _batches];

    public IReadOnlyList<ContainerInfo> Containers => [.. _containers];

    public IEnumerable<RawEvent> EventsOf(string containerId) =>
        Batches.Where(b => b.Container.Id == containerId).SelectMany(b => b.Events);

    /// <summary>Events of the container's profiling sessions (what forms its snapshots).</summary>
    public IEnumerable<RawEvent> ProfilingEventsOf(string containerId) =>
        Batches.Where(b => b.Container.Id == containerId && b.Profiling).SelectMany(b => b.Events);

    /// <summary>The container's batches published since the previous call, in order (to feed an engine incrementally).</summary>
    public IReadOnlyList<RawEventBatch> TakeBatches(string containerId)
    {
        var all = Batches.Where(b => b.Container.Id == containerId).ToList();
        lock (_taken)
        {
            var from = _taken.GetValueOrDefault(containerId);
            _taken[containerId] = all.Count;
            return all[from..];
        }
    }

    /// <summary>The latest record published for a container, or null.</summary>
    public ContainerInfo? LatestInfo(string containerId) => Containers.LastOrDefault(c => c.Container.Id == containerId);

    public void Publish(RawEventBatch batch) => _batches.Enqueue(batch);

    public void Publish(ContainerInfo container) => _containers.Enqueue(container);

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
