namespace WorkloadProfiles.Domain.Events;

/// <summary>
/// The value of one <c>wp.events.raw</c> record: ordered events of one container, flushed by the agent every ≤ 100 ms
/// or N events, so stream jobs pay Kafka's per-record cost once per batch.
/// (AgentId, Sequence) identifies a batch: replays and producer retries can be recognised.
/// </summary>
public sealed record RawEventBatch
{
    public required ContainerRef Container { get; init; }
    /// <summary>host.name of the agent's host.</summary>
    public required string HostName { get; init; }
    public string AgentId { get; init; } = "";
    /// <summary>Per (agent, container) monotonically increasing batch number.</summary>
    public long Sequence { get; init; }
    /// <summary>Events the agent (or kernel ring buffer) lost for this container since the previous batch.</summary>
    public long DroppedEvents { get; init; }
    /// <summary>
    /// The events belong to a profiling session (the container holds one of the agent's profiling slots): the snapshot job
    /// forms snapshots only from these. Detection uses every batch; the agent watches every container.
    /// </summary>
    public bool Profiling { get; init; } = true;
    public required IReadOnlyList<RawEvent> Events { get; init; }
}
