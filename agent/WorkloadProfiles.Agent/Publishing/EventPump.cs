using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Agent.Sensor;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Publishing;

/// <summary>
/// The agent's hot path, on one dedicated thread: polls the sensor's ring buffer, decodes records of profiled
/// cgroups into events, appends them to their container's pending batch and publishes a batch when it is full or
/// its oldest event is <see cref="AgentOptions.FlushInterval"/> old. Cgroup creation/removal records go to the
/// scheduler. The scheduler changes sessions only through <see cref="Post"/>, so sessions and batches have a single
/// owner and need no locks; commands run between polls, in order.
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
    private readonly ChannelWriter<CgroupChange> _cgroupChanges;
    private readonly ConcurrentQueue<Action> _commands = new();
    private readonly Dictionary<ulong, ContainerSession> _sessions = [];
    // Per container, across sessions: a container profiled again continues its sequence.
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);
    private readonly long _flushTicks;
    private readonly int _pollTimeoutMs;
    private ulong _kernelDrops;

    public EventPump(ISensor sensor, SensorRecordDecoder decoder, IEventPublisher publisher, AgentOptions options,
        AgentMetrics metrics, ChannelWriter<CgroupChange> cgroupChanges, ILogger logger)
    {
        _sensor = sensor;
        _decoder = decoder;
        _publisher = publisher;
        _options = options;
        _metrics = metrics;
        _cgroupChanges = cgroupChanges;
        _logger = logger;
        _flushTicks = (long)(options.FlushInterval.TotalSeconds * Stopwatch.Frequency);
        _pollTimeoutMs = Math.Clamp((int)(options.FlushInterval.TotalMilliseconds / 2), 1, 50);
    }

    /// <summary>Runs until cancelled, then publishes what is pending.</summary>
    public void Run(CancellationToken cancellationToken)
    {
        var nextCounterRead = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            RunCommands();
            _sensor.Poll(this, _pollTimeoutMs);
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

    /// <summary>Starts publishing a cgroup's activity: the kernel filter first, then the processes already running
    /// (read from /proc after the filter is on, so nothing falls between the two).</summary>
    public Task StartSession(ulong cgroupId, ContainerRef container, uint generation, Func<IReadOnlyList<RawEvent>> existingActivity) => Post(() =>
    {
        _sensor.Profile(cgroupId, generation);
        var session = new ContainerSession(container, _options.MaxBatchEvents)
        {
            Sequence = _sequences.GetValueOrDefault(container.Id),
        };
        _sessions[cgroupId] = session;
        var synthetic = existingActivity();
        foreach (var e in synthetic) Append(session, e);
        _metrics.SyntheticEvents.Inc(synthetic.Count);
        _metrics.ProfiledContainers.Set(_sessions.Count);
    });

    /// <summary>Starts a new dedup window for a cgroup whose session continues.</summary>
    public Task RenewSession(ulong cgroupId, uint generation) => Post(() => _sensor.Profile(cgroupId, generation));

    /// <summary>Stops publishing a cgroup's activity and flushes it; when the container stopped, its last batch ends
    /// with a ContainerExit event so its snapshot closes early.</summary>
    public Task EndSession(ulong cgroupId, long? exitedAtUs) => Post(() =>
    {
        _sensor.Unprofile(cgroupId);
        _sensor.Poll(this, 0); // records already in the ring buffer still belong to this session
        if (!_sessions.Remove(cgroupId, out var session)) return;
        if (exitedAtUs is { } at)
            Append(session, new RawEvent { Kind = EventKind.ContainerExit, TimestampUs = at, Pid = 0, Comm = "" });
        Flush(session);
        if (exitedAtUs is null) _sequences[session.Container.Id] = session.Sequence;
        else _sequences.Remove(session.Container.Id);
        _metrics.ProfiledContainers.Set(_sessions.Count);
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
            _cgroupChanges.TryWrite(_decoder.DecodeCgroup(record));
            return;
        }
        if (!_sessions.TryGetValue(header.CgroupId, out var session))
        {
            // The scheduler unprofiled the cgroup while records were in flight.
            _metrics.Discarded.WithLabels("unprofiled").Inc();
            return;
        }
        if (IsRuntimePlumbing(header))
        {
            _metrics.Discarded.WithLabels("runtime").Inc();
            return;
        }
        var e = _decoder.Decode(record);
        if (e.Kind == EventKind.Open && e.FilePath is { Length: > 0 } path && path[0] != '/')
        {
            if (WorkingDirectory.TryResolve(e.Tid, e.Pid, path, out var absolute)) e = e with { FilePath = absolute };
            else _metrics.RelativePathsUnresolved.Inc();
        }
        _metrics.CountEvent(e.Kind);
        Append(session, e);
    }

    /// <summary>runc's init runs inside the container's cgroup before it execs the workload (`podman exec`, start);
    /// its opens of /proc/self/* are the runtime's, not the image's behaviour.</summary>
    private static unsafe bool IsRuntimePlumbing(in SensorRecordHeader header)
    {
        fixed (byte* comm = header.Comm)
            return new ReadOnlySpan<byte>(comm, 16).StartsWith("runc:["u8);
    }

    private void Append(ContainerSession session, RawEvent e)
    {
        if (session.Pending.Count == 0) session.OldestPendingTicks = Stopwatch.GetTimestamp();
        session.Pending.Add(e);
        if (session.Pending.Count >= _options.MaxBatchEvents) Flush(session);
    }

    private void FlushDue(long now)
    {
        foreach (var session in _sessions.Values)
            if (session.Pending.Count > 0 && now - session.OldestPendingTicks >= _flushTicks)
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
            Events = events,
        };
        session.Dropped = 0;
        try
        {
            _publisher.Publish(batch);
            _metrics.Batches.Inc();
            _metrics.PublishedEvents.Inc(events.Count);
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
        if (counters.RingBufferDrops > _kernelDrops)
        {
            // The kernel cannot tell whose record it failed to reserve: every profiled container may be incomplete,
            // so each batch carries the count as an upper bound.
            var delta = (long)(counters.RingBufferDrops - _kernelDrops);
            foreach (var session in _sessions.Values) session.Dropped += delta;
            _logger.LogWarning("The kernel ring buffer dropped {Count} records: the agent is not keeping up (raise Agent:RingBufferBytes?)", delta);
        }
        _kernelDrops = counters.RingBufferDrops;
    }

    private void RunCommands()
    {
        while (_commands.TryDequeue(out var command)) command();
    }

    private sealed class ContainerSession(ContainerRef container, int capacity)
    {
        public ContainerRef Container { get; } = container;
        public List<RawEvent> Pending { get; set; } = new(Math.Min(capacity, 64));
        public long OldestPendingTicks { get; set; }
        public long Sequence { get; set; }
        public long Dropped { get; set; }
    }
}
