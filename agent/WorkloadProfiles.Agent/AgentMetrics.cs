using Prometheus;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent;

/// <summary>
/// The agent's Prometheus metrics, in a registry of its own (several agents in one test process stay separate).
/// Drops are counted where they happen: in the kernel (ring buffer full), and in the agent (malformed records,
/// records of a cgroup no longer profiled, publish failures).
/// </summary>
internal sealed class AgentMetrics
{
    private readonly Counter.Child[] _eventsByKind;

    public AgentMetrics(CollectorRegistry? registry = null)
    {
        Registry = registry ?? Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        var events = factory.CreateCounter("wp_agent_events_total", "Events decoded from the sensor, by kind.", "kind");
        _eventsByKind = [.. Enum.GetValues<EventKind>().Select(k => events.WithLabels(k.ToString()))];
        SyntheticEvents = factory.CreateCounter("wp_agent_synthetic_events_total", "Exec/Open events read from /proc for processes that predate profiling.");
        Batches = factory.CreateCounter("wp_agent_batches_published_total", "RawEventBatch records handed to the publisher.");
        PublishedEvents = factory.CreateCounter("wp_agent_events_published_total", "Events inside the batches handed to the publisher.");
        Discarded = factory.CreateCounter("wp_agent_records_discarded_total", "Sensor records the agent did not publish, by reason.", "reason");
        KernelRingBufferDrops = factory.CreateGauge("wp_agent_kernel_ringbuf_drops", "Records the kernel could not reserve in the ring buffer (cumulative).");
        KernelDedupSuppressed = factory.CreateGauge("wp_agent_kernel_dedup_suppressed", "Activity the kernel suppressed as already sent in the window (cumulative).");
        RelativePathsUnresolved = factory.CreateCounter("wp_agent_relative_paths_unresolved_total", "Relative open paths left relative: the process exited before its working directory was read.");
        PublishFailures = factory.CreateCounter("wp_agent_publish_failures_total", "Records the publisher failed to deliver.");
        LagSeconds = factory.CreateGauge("wp_agent_event_lag_seconds", "Age of the newest event of the last published batch when it was published.");
        ProfiledContainers = factory.CreateGauge("wp_agent_profiled_containers", "Containers holding a profiling slot.");
        KnownContainers = factory.CreateGauge("wp_agent_known_containers", "Containers the agent knows on this host.");
    }

    public CollectorRegistry Registry { get; }
    public Counter SyntheticEvents { get; }
    public Counter Batches { get; }
    public Counter PublishedEvents { get; }
    public Counter Discarded { get; }
    public Gauge KernelRingBufferDrops { get; }
    public Gauge KernelDedupSuppressed { get; }
    public Counter PublishFailures { get; }
    public Counter RelativePathsUnresolved { get; }
    public Gauge LagSeconds { get; }
    public Gauge ProfiledContainers { get; }
    public Gauge KnownContainers { get; }

    public void CountEvent(EventKind kind)
    {
        if ((uint)kind < (uint)_eventsByKind.Length) _eventsByKind[(int)kind].Inc();
    }
}
