using System.Globalization;
using Prometheus;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent;

/// <summary>
/// The agent's Prometheus metrics, in a registry of its own (several agents in one test process stay separate).
/// Drops are counted where they happen: in the kernel (ring buffer full), and in the agent (malformed records,
/// records of a cgroup no longer watched, reads skipped for detection-only containers, publish failures). What is
/// published is counted per scope: <c>profiling</c> (containers holding a profiling slot) and <c>detection</c> (every
/// other watched container).
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
        Batches = factory.CreateCounter("wp_agent_batches_published_total", "RawEventBatch records handed to the publisher, by scope (profiling, detection).", "scope");
        PublishedEvents = factory.CreateCounter("wp_agent_events_published_total", "Events inside the batches handed to the publisher, by scope (profiling, detection).", "scope");
        PublishedBytes = factory.CreateCounter("wp_agent_bytes_published_total", "Encoded bytes of the batches handed to Kafka, by scope (profiling, detection).", "scope");
        Discarded = factory.CreateCounter("wp_agent_records_discarded_total", "Sensor records the agent did not publish, by reason.", "reason");
        KernelRingBufferDrops = factory.CreateGauge("wp_agent_kernel_ringbuf_drops", "Records the kernel could not reserve in the ring buffer (cumulative).");
        KernelDedupSuppressed = factory.CreateGauge("wp_agent_kernel_dedup_suppressed", "Activity the kernel suppressed as already sent in the window (cumulative).");
        KernelPathFallbacks = factory.CreateGauge("wp_agent_kernel_path_fallbacks", "Opens whose file could not be walked in the kernel: the passed name was used, or, with no name (io_uring, open_by_handle_at), the open was not reported (cumulative).");
        KernelUringFixedOpens = factory.CreateGauge("wp_agent_kernel_uring_fixed_opens", "Opens through io_uring into a fixed-file slot: no fd to walk, so not reported as opens (cumulative).");
        KernelWatchFull = factory.CreateGauge("wp_agent_kernel_watch_full", "New cgroups the kernel could not watch: watched_cgroups was full (cumulative).");
        ImageWaitExpired = factory.CreateCounter("wp_agent_image_wait_expired_total", "New containers whose batches stopped waiting for their image (Agent:ImageWait) and went out unresolved.");
        PublishFailures = factory.CreateCounter("wp_agent_publish_failures_total", "Records the publisher failed to deliver.");
        LagSeconds = factory.CreateGauge("wp_agent_event_lag_seconds", "Age of the newest event of the last published batch when it was published.");
        ProfiledContainers = factory.CreateGauge("wp_agent_profiled_containers", "Containers holding a profiling slot.");
        WatchedContainers = factory.CreateGauge("wp_agent_watched_containers", "Containers whose activity the sensor captures (every container on the host).");
        KnownContainers = factory.CreateGauge("wp_agent_known_containers", "Containers the agent knows on this host.");

        // The agent's own memory, read at each scrape: its cost goal is measured on these (bench/agent/run.sh).
        var heap = factory.CreateGauge("wp_agent_gc_heap_bytes", "Managed heap after the last garbage collection.");
        var committed = factory.CreateGauge("wp_agent_gc_committed_bytes", "Memory the garbage collector holds committed (its part of the RSS).");
        var allocated = factory.CreateGauge("wp_agent_gc_allocated_bytes", "Bytes allocated on the managed heap since start (cumulative).");
        var collections = factory.CreateGauge("wp_agent_gc_collections", "Garbage collections since start, by generation (cumulative).", "generation");
        Gauge.Child[] collectionsByGeneration =
            [.. Enumerable.Range(0, GC.MaxGeneration + 1).Select(g => collections.WithLabels(g.ToString(CultureInfo.InvariantCulture)))];
        Registry.AddBeforeCollectCallback(() =>
        {
            var info = GC.GetGCMemoryInfo();
            heap.Set(info.HeapSizeBytes);
            committed.Set(info.TotalCommittedBytes);
            allocated.Set(GC.GetTotalAllocatedBytes());
            for (var generation = 0; generation < collectionsByGeneration.Length; generation++)
                collectionsByGeneration[generation].Set(GC.CollectionCount(generation));
        });
    }

    public CollectorRegistry Registry { get; }
    public Counter SyntheticEvents { get; }
    public Counter Batches { get; }
    public Counter PublishedEvents { get; }
    public Counter PublishedBytes { get; }
    public Counter Discarded { get; }
    public Gauge KernelRingBufferDrops { get; }
    public Gauge KernelDedupSuppressed { get; }
    public Counter PublishFailures { get; }
    public Gauge KernelPathFallbacks { get; }
    public Gauge KernelWatchFull { get; }
    public Gauge KernelUringFixedOpens { get; }
    public Counter ImageWaitExpired { get; }
    public Gauge LagSeconds { get; }
    public Gauge ProfiledContainers { get; }
    public Gauge WatchedContainers { get; }
    public Gauge KnownContainers { get; }

    /// <summary>The <c>scope</c> label of a batch.</summary>
    public static string ScopeOf(RawEventBatch batch) => batch.Profiling ? "profiling" : "detection";

    public void CountEvent(EventKind kind)
    {
        if ((uint)kind < (uint)_eventsByKind.Length) _eventsByKind[(int)kind].Inc();
    }
}
