using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Publishing;

/// <summary>
/// Where the agent's output goes: Kafka in production, an Avro recording file for `agent record`, memory in tests.
/// <see cref="Publish(RawEventBatch)"/> is called on the sensor's polling thread and must not block on I/O.
/// </summary>
public interface IEventPublisher : IAsyncDisposable
{
    void Publish(RawEventBatch batch);

    void Publish(ContainerInfo container);

    /// <summary>Waits until everything published so far is delivered (or written).</summary>
    Task FlushAsync(CancellationToken cancellationToken);
}
