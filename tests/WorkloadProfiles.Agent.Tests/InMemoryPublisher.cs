using System.Collections.Concurrent;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>Collects what the agent publishes, for assertions.</summary>
internal sealed class InMemoryPublisher : IEventPublisher
{
    private readonly ConcurrentQueue<RawEventBatch> _batches = new();
    private readonly ConcurrentQueue<ContainerInfo> _containers = new();

    public IReadOnlyList<RawEventBatch> Batches => [.. _batches];

    public IReadOnlyList<ContainerInfo> Containers => [.. _containers];

    public IEnumerable<RawEvent> EventsOf(string containerId) =>
        Batches.Where(b => b.Container.Id == containerId).SelectMany(b => b.Events);

    /// <summary>The latest record published for a container, or null.</summary>
    public ContainerInfo? LatestInfo(string containerId) => Containers.LastOrDefault(c => c.Container.Id == containerId);

    public void Publish(RawEventBatch batch) => _batches.Enqueue(batch);

    public void Publish(ContainerInfo container) => _containers.Enqueue(container);

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
