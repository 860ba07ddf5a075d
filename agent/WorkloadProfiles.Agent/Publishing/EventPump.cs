using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Agent.Sensor;
using WorkloadProfiles.Domain.Events;
using static WorkloadProfiles.Agent.Sensor.SensorRecordLayout;

namespace WorkloadProfiles.Agent.Publishing;

/// <summary>
/// The agent's hot path, on one dedicated thread: polls the sensor's ring buffer, decodes the records of every watched
/// container into events, appends them to the container's pending batch and publishes a batch when it is full or its
/// oldest event is <see cref="AgentOptions.FlushInterval"/> old (from when the kernel stamped it) — and with it every
/// other container's pending batch, so a host's batches go out together, in one Kafka request, rather than one wake-up
/// of the producer per container.
/// <para>
/// Every container is watched (detection covers them all); a container holding a profiling slot has its batches marked
/// <see cref="RawEventBatch.Profiling"/>, so only those form snapshots. The pump classifies each new cgroup the moment its
/// creation record arrives — before any record of a task inside it — so a container is watched from its first exec: a
/// container's cgroup gets a session, a cgroup created inside a container is attributed to it, anything else stops being
/// watched. A new container's batches wait up to <see cref="AgentOptions.ImageWait"/> for the scheduler to resolve its
/// image, so even its first signals carry the image (and its suppressions apply).
/// </para>
/// The scheduler changes sessions only through <see cref="Post"/>, so sessions and batches have a single owner and need
/// no locks; commands run between polls, in order.
/// </summary>
internal sealed class EventPump : ISensorRecordHandler
{
    private static readonly TimeSpan CounterReadInterval = TimeSpan.FromSeconds(1);
    private readonly ISensor _sensor;
    private readonly SensorRecordDecoder _decoder;
    private readonly IEventPublisher _publisher;
    private readonly AgentOptions _options;
    private readonly AgentMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ChannelWriter<CgroupChange> _containerChanges;
    private readonly ConcurrentQueue<Action> _commands = new();
    // Keyed by the container's own cgroup id, which the kernel stamps on the records of every cgroup nested in it.
    private readonly Dictionary<ulong, ContainerSession> _sessions = [];
    private readonly Dictionary<string, ContainerSession> _sessionsById = new(StringComparer.Ordinal);
    // Pod sandboxes the runtime named (see Ignore), by cgroup: a cgroup created for one later is not watched either.
    private readonly Dictionary<ulong, string> _ignored = [];
    private readonly byte[][] _ignoredReads;
    private readonly long _flushTicks;
    private readonly long _flushUs;
    private readonly long _imageWaitTicks;
    private readonly long _maxPollTicks;
    private ulong _kernelDrops;

    public EventPump(ISensor sensor, SensorRecordDecoder decoder, IEventPublisher publisher, AgentOptions options,
        AgentMetrics metrics, ChannelWriter<CgroupChange> containerChanges, ILogger logger)
    {
        _sensor = sensor;
        _decoder = decoder;
        _publisher = publisher;
        _options = options;
        _metrics = metrics;
        _containerChanges = containerChanges;
        _logger = logger;
        _ignoredReads = [.. options.IgnoredReadPrefixes().Select(Encoding.UTF8.GetBytes)];
        _flushTicks = (long)(options.FlushInterval.TotalSeconds * Stopwatch.Frequency);
        _flushUs = (long)options.FlushInterval.TotalMicroseconds;
        _imageWaitTicks = (long)(options.ImageWait.TotalSeconds * Stopwatch.Frequency);
        // Commands wait for the poll in progress: half a flush interval at most (see PollTimeoutMs).
        _maxPollTicks = _flushTicks / 2;
    }

    /// <summary>Runs until cancelled, then publishes what is pending.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        var nextCounterRead = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            RunCommands();
            _sensor.Poll(this, PollTimeoutMs(Stopwatch.GetTimestamp()));
            var now = Stopwatch.GetTimestamp();
            FlushDue(now);
            if (now >= nextCounterRead)
            {
                ReadKernelCounters();
                nextCounterRead = now + (long)(CounterReadInterval.TotalSeconds * Stopwatch.Frequency);
            }
        }
        RunCommands();
        _sensor.Poll(this, 0);
        foreach (var session in _sessions.Values) Flush(session);
    }

    /// <summary>Runs <paramref name="command"/> on the pump thread between polls; the task completes after it ran.</summary>
    public Task Post(Action command)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _commands.Enqueue(() =>
        {
            try
            {
                command();
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task;
    }

    /// <summary>
    /// Watches a container found in the cgroup tree (at agent start): its cgroup and those nested in it go into the kernel
    /// map first, then the processes already running are read from /proc (after the map, so nothing falls between the
    /// two). A container already watched (its creation record came first) is left as it is.
    /// </summary>
    public Task Watch(ContainerCgroup cgroup, IReadOnlyList<ulong> nested, Func<IReadOnlyList<RawEvent>> existingActivity) => Post(() =>
    {
        if (_sessions.ContainsKey(cgroup.CgroupId)) return;
        var session = Open(cgroup);
        foreach (var id in nested) AttachNested(session, id);
        AppendSynthetic(session, existingActivity());
    });

    /// <summary>The container's image is known: its held batches go out with it.</summary>
    public Task SetImage(ulong cgroupId, ContainerRef container) => Post(() =>
    {
        if (!_sessions.TryGetValue(cgroupId, out var session)) return;
        session.Container = container;
        session.ImageWaitSinceTicks = 0;
    });

    /// <summary>The scheduler gave up resolving the image: stop holding the container's batches for it.</summary>
    public Task StopWaitingForImage(ulong cgroupId) => Post(() =>
    {
        if (_sessions.TryGetValue(cgroupId, out var session)) session.ImageWaitSinceTicks = 0;
    });

    /// <summary>The container takes a profiling slot: what is pending goes out as detection-only, a new dedup window starts,
    /// and the processes running now are read from /proc so the first snapshot has them. A container none of whose
    /// batches went out yet (a new one that got a slot as its image resolved) keeps what is pending in the session: its
    /// start — the runtime's init, the entrypoint's first opens — is then profiled like the rest, not only detected.</summary>
    public Task StartProfiling(ulong cgroupId, uint generation, Func<IReadOnlyList<RawEvent>> existingActivity) => Post(() =>
    {
        if (!_sessions.TryGetValue(cgroupId, out var session)) return;
        var fromStart = session.Sequence == 0 && session.Dropped == 0;
        if (!fromStart) Flush(session);
        session.Profiling = true;
        SetGeneration(session, generation);
        // Pending since the container was first watched, from its creation or from the /proc scan at agent start.
        if (!fromStart) AppendSynthetic(session, existingActivity());
        _metrics.ProfiledContainers.Set(_sessions.Values.Count(s => s.Profiling));
    });

    /// <summary>The container gives its slot up (rotation); it stays watched for detection.</summary>
    public Task StopProfiling(ulong cgroupId, uint generation) => Post(() =>
    {
        if (!_sessions.TryGetValue(cgroupId, out var session) || !session.Profiling) return;
        _sensor.Poll(this, 0); // records already in the ring buffer still belong to the profiling session
        Flush(session);
        session.Profiling = false;
        SetGeneration(session, generation);
        _metrics.ProfiledContainers.Set(_sessions.Values.Count(s => s.Profiling));
    });

    /// <summary>Starts a new dedup window for a container (a renewed profiling session, or the next detection window).</summary>
    public Task Renew(ulong cgroupId, uint generation) => Post(() =>
    {
        if (_sessions.TryGetValue(cgroupId, out var session)) SetGeneration(session, generation);
    });

    /// <summary>
    /// The runtime says the cgroup is a Kubernetes pod's sandbox: the pause process that holds the pod's namespaces, no
    /// workload. It stops being watched; what it recorded while its identity was asked is discarded and counted
    /// (<c>wp_agent_records_discarded_total{reason="pod-sandbox"}</c>).
    /// </summary>
    public Task Ignore(ulong cgroupId) => Post(() =>
    {
        if (!_sessions.Remove(cgroupId, out var session)) return;
        _sensor.Poll(this, 0);
        _sessionsById.Remove(session.Container.Id);
        _ignored[cgroupId] = session.Container.Id;
        foreach (var id in session.Nested) _sensor.Unwatch(id);
        _sensor.Unwatch(cgroupId);
        if (session.Pending.Count > 0) _metrics.Discarded.WithLabels("pod-sandbox").Inc(session.Pending.Count);
        UpdateContainerGauges();
    });

    /// <summary>Stops watching a container that is gone: its last batch ends with a ContainerExit event (its snapshot window
    /// closes early, detection forgets its processes).</summary>
    public Task Unwatch(ulong cgroupId, long exitedAtUs) => Post(() =>
    {
        if (!_sessions.Remove(cgroupId, out var session)) return;
        _sensor.Poll(this, 0);
        _sessionsById.Remove(session.Container.Id);
        foreach (var id in session.Nested) _sensor.Unwatch(id);
        _sensor.Unwatch(cgroupId);
        Append(session, new RawEvent { Kind = EventKind.ContainerExit, TimestampUs = exitedAtUs, Pid = 0, Comm = "" });
        session.ImageWaitSinceTicks = 0;
        Flush(session);
        UpdateContainerGauges();
    });

    public void OnRecord(ReadOnlySpan<byte> record)
    {
        if (SensorRecordDecoder.Validate(record) is { } problem)
        {
            _metrics.Discarded.WithLabels("malformed").Inc();
            _logger.LogWarning("Discarding sensor record: {Problem}", problem);
            return;
        }
        ref readonly var header = ref SensorRecordHeader.Of(record);
        if (SensorRecordDecoder.IsCgroupRecord(header.Kind))
        {
            OnCgroup(_decoder.DecodeCgroup(record));
            return;
        }
        if (!_sessions.TryGetValue(header.CgroupId, out var session))
        {
            // The container was unwatched while records were in flight.
            _metrics.Discarded.WithLabels("unwatched").Inc();
            return;
        }
        if (IsRuntimePlumbing(header))
        {
            _metrics.Discarded.WithLabels("runtime").Inc();
            return;
        }
        if (!session.Profiling && header.Kind == SensorRecordKind.Open && IsIgnoredRead(record))
        {
            _metrics.Discarded.WithLabels("detection-only-read").Inc();
            return;
        }
        var e = _decoder.Decode(record);
        _metrics.CountEvent(e.Kind);
        Append(session, e);
    }

    /// <summary>A new cgroup: a container's own (a new session), one created inside a container (attributed to it), or
    /// something else (no longer watched). A container's cgroup removed: the scheduler ends its session.</summary>
    private void OnCgroup(CgroupChange change)
    {
        if (!change.Created)
        {
            _ignored.Remove(change.CgroupId);
            if (_sessions.ContainsKey(change.CgroupId)) _containerChanges.TryWrite(change);
            else foreach (var session in _sessions.Values) session.Nested.Remove(change.CgroupId);
            return;
        }
        if (change.Container != 0 && _sessions.TryGetValue(change.Container, out var owner))
        {
            owner.Nested.Add(change.CgroupId); // the kernel attributed it already
            return;
        }
        var containerId = CgroupFs.ContainerIdOf(change.Path);
        if (containerId is null || _ignored.ContainsValue(containerId))
        {
            _sensor.Unwatch(change.CgroupId);
            return;
        }
        if (_sessionsById.TryGetValue(containerId, out var known))
        {
            // Created by the runtime from outside the container (e.g. libpod-<id>/container): still that container.
            AttachNested(known, change.CgroupId);
            return;
        }
        var cgroup = new ContainerCgroup(change.CgroupId, containerId, change.Path);
        Open(cgroup);
        _containerChanges.TryWrite(change);
    }

    private ContainerSession Open(ContainerCgroup cgroup)
    {
        var session = new ContainerSession(new ContainerRef(cgroup.ContainerId, null, null), cgroup.CgroupId, _options.MaxBatchEvents)
        {
            ImageWaitSinceTicks = Stopwatch.GetTimestamp(),
        };
        _sensor.Watch(cgroup.CgroupId, cgroup.CgroupId, session.Generation, nested: false);
        _sessions[cgroup.CgroupId] = session;
        _sessionsById[cgroup.ContainerId] = session;
        UpdateContainerGauges();
        return session;
    }

    private void AttachNested(ContainerSession session, ulong cgroupId)
    {
        _sensor.Watch(cgroupId, session.CgroupId, session.Generation, nested: true);
        session.Nested.Add(cgroupId);
    }

    private void SetGeneration(ContainerSession session, uint generation)
    {
        session.Generation = generation;
        _sensor.Watch(session.CgroupId, session.CgroupId, generation, nested: false);
        foreach (var id in session.Nested) _sensor.Watch(id, session.CgroupId, generation, nested: true);
    }

    private void AppendSynthetic(ContainerSession session, IReadOnlyList<RawEvent> events)
    {
        foreach (var e in events) Append(session, e);
        _metrics.SyntheticEvents.Inc(events.Count);
    }

    private static unsafe bool IsRuntimePlumbing(in SensorRecordHeader header)
    {
        fixed (byte* comm = header.Comm)
            return RuntimePlumbing.IsRuntimeComm(new ReadOnlySpan<byte>(comm, 16));
    }

    /// <summary>A read-only open of a canonical path under <see cref="AgentOptions.DetectionOnlyIgnoredReads"/>. Only kernel
    /// walked paths qualify: a name the process passed (<c>/usr/lib/../../etc/shadow</c>) is never skipped.</summary>
    private bool IsIgnoredRead(ReadOnlySpan<byte> record)
    {
        if (_ignoredReads.Length == 0 || record[OpenResolution] != (byte)PathResolution.OpenedFile) return false;
        if ((I32(record, OpenFlags) & (0x1 | 0x2 | 0x40 | 0x200)) != 0) return false; // O_WRONLY|O_RDWR|O_CREAT|O_TRUNC
        var path = Text(record, OpenPath, U16(record, OpenPathLen), PathMax);
        foreach (var prefix in _ignoredReads)
            if (path.StartsWith(prefix)) return true;
        return false;
    }

    private void Append(ContainerSession session, RawEvent e)
    {
        if (session.Pending.Count == 0) session.OldestPendingTicks = StampedAt(e);
        session.Pending.Add(e);
        // Waiting for the image holds a batch past its size, within bounds: at most four batches' worth.
        var limit = session.ImageWaitSinceTicks != 0 ? 4 * _options.MaxBatchEvents : _options.MaxBatchEvents;
        if (session.Pending.Count >= limit) Flush(session);
    }

    /// <summary>
    /// How long the next poll may wait for records: until the first pending batch is due or a batch waiting for its image
    /// gives up waiting, at most half a flush interval (commands wait for the poll), not at all with commands queued.
    /// Records arriving meanwhile wait in the ring buffer — the kernel wakes the pump early when much is waiting
    /// (bpf/lib/output.h) — and since a batch's interval runs from when the kernel stamped its oldest event (see
    /// <see cref="StampedAt"/>), waiting longer delays no event past the interval. A wake-up costs more than decoding
    /// the records it drains, so under steady load the pump wakes about twice per flush interval, not every 10 ms.
    /// </summary>
    private int PollTimeoutMs(long now)
    {
        if (!_commands.IsEmpty) return 0;
        var wakeAt = now + _maxPollTicks;
        foreach (var session in _sessions.Values)
        {
            if (session.ImageWaitSinceTicks != 0)
                wakeAt = Math.Min(wakeAt, session.ImageWaitSinceTicks + _imageWaitTicks);
            else if (session.Pending.Count > 0)
                wakeAt = Math.Min(wakeAt, session.OldestPendingTicks + _flushTicks);
        }
        // Rounded up: a poll that ends just before the batch is due would only poll again.
        var ticksPerMs = Stopwatch.Frequency / 1000;
        return (int)Math.Max(0, (wakeAt - now + ticksPerMs - 1) / ticksPerMs);
    }

    /// <summary>When the kernel stamped <paramref name="e"/>, on the pump's clock (an age beyond the flush interval counts as
    /// the interval, a time ahead as now): a batch is due a flush interval after its oldest event happened, however long
    /// the records waited in the ring buffer.</summary>
    private long StampedAt(RawEvent e)
    {
        // The age in the events' own time base (the decoder's clock), so a wall-clock step after start does not skew it.
        var ageUs = Math.Clamp(_decoder.Clock.NowUnixMicroseconds() - e.TimestampUs, 0, _flushUs);
        return Stopwatch.GetTimestamp() - ageUs * Stopwatch.Frequency / 1_000_000;
    }

    private void FlushDue(long now)
    {
        var due = false;
        foreach (var session in _sessions.Values)
        {
            if (session.ImageWaitSinceTicks != 0)
            {
                if (now - session.ImageWaitSinceTicks < _imageWaitTicks) continue;
                session.ImageWaitSinceTicks = 0;
                _metrics.ImageWaitExpired.Inc();
            }
            due |= session.Pending.Count > 0 && now - session.OldestPendingTicks >= _flushTicks;
        }
        if (!due) return;
        // One container is due: the others' pending events go with it (none waits longer than the interval either way),
        // so the containers of a host settle on one flush cadence and the producer packs their batches into one request.
        foreach (var session in _sessions.Values)
            if (session.ImageWaitSinceTicks == 0 && session.Pending.Count > 0)
                Flush(session);
    }

    private void Flush(ContainerSession session)
    {
        if (session.Pending.Count == 0 && session.Dropped == 0) return;
        var events = session.Pending;
        session.Pending = new List<RawEvent>(Math.Min(_options.MaxBatchEvents, 64));
        var batch = new RawEventBatch
        {
            Container = session.Container,
            HostName = _options.HostName,
            AgentId = _options.AgentId,
            Sequence = ++session.Sequence,
            DroppedEvents = session.Dropped,
            Profiling = session.Profiling,
            Events = events,
        };
        session.Dropped = 0;
        try
        {
            _publisher.Publish(batch);
            var scope = AgentMetrics.ScopeOf(batch);
            _metrics.Batches.WithLabels(scope).Inc();
            _metrics.PublishedEvents.WithLabels(scope).Inc(events.Count);
            if (events.Count > 0)
                _metrics.LagSeconds.Set((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 - events[^1].TimestampUs) / 1e6);
        }
        catch (Exception ex)
        {
            // The publisher could not even enqueue (e.g. its queue is full for too long): count and keep going.
            _metrics.PublishFailures.Inc();
            session.Dropped += events.Count;
            _logger.LogError(ex, "Publishing a batch of {Count} events for {Container} failed", events.Count, session.Container.Id);
        }
    }

    private void ReadKernelCounters()
    {
        var counters = _sensor.ReadCounters();
        _metrics.KernelRingBufferDrops.Set(counters.RingBufferDrops);
        _metrics.KernelDedupSuppressed.Set(counters.DedupSuppressed);
        _metrics.KernelPathFallbacks.Set(counters.PathFallbacks);
        _metrics.KernelWatchFull.Set(counters.WatchFull);
        _metrics.KernelUringFixedOpens.Set(counters.UringFixedOpens);
        if (counters.RingBufferDrops > _kernelDrops)
        {
            // The kernel cannot tell whose record it failed to reserve: every watched container may be incomplete,
            // so each batch carries the count as an upper bound.
            var delta = (long)(counters.RingBufferDrops - _kernelDrops);
            foreach (var session in _sessions.Values) session.Dropped += delta;
            _logger.LogWarning("The kernel ring buffer dropped {Count} records: the agent is not keeping up (raise Agent:RingBufferBytes?)", delta);
        }
        _kernelDrops = counters.RingBufferDrops;
    }

    private void UpdateContainerGauges()
    {
        _metrics.WatchedContainers.Set(_sessions.Count);
        _metrics.ProfiledContainers.Set(_sessions.Values.Count(s => s.Profiling));
    }

    private void RunCommands()
    {
        while (_commands.TryDequeue(out var command)) command();
    }

    private sealed class ContainerSession(ContainerRef container, ulong cgroupId, int capacity)
    {
        public ContainerRef Container { get; set; } = container;
        public ulong CgroupId { get; } = cgroupId;
        public HashSet<ulong> Nested { get; } = [];
        public bool Profiling { get; set; }
        public uint Generation { get; set; } = 1;
        /// <summary>Stopwatch ticks since the batches wait for the image; 0 when they do not.</summary>
        public long ImageWaitSinceTicks { get; set; }
        public List<RawEvent> Pending { get; set; } = new(Math.Min(capacity, 64));
        public long OldestPendingTicks { get; set; }
        public long Sequence { get; set; }
        public long Dropped { get; set; }
    }
}
