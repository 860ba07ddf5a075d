using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Agent.Sensor;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Agent.Scheduling;

/// <summary>
/// Knows every container on the host, resolves its image, and decides which containers hold the
/// <see cref="AgentOptions.MaxProfiledContainers"/> profiling slots. Every container is watched for detection from the
/// moment it is found — in the cgroup tree at start (its running processes read from /proc), or by its cgroup's creation
/// (the event pump watches it before its first exec) — whatever its image's profile status. Profiling only decides which
/// containers' batches form snapshots.
/// <para>
/// A profiling session lasts <see cref="AgentOptions.SessionLength"/> (one snapshot interval); then, if another eligible
/// container waits, the slot rotates to it, else the session renews with a fresh dedup window. Waiting containers are
/// ordered Learning images first, then images without a profile, then by how long ago they were last profiled (never
/// first). Stable images are skipped: their profile no longer changes. Containers without a slot get a fresh dedup window
/// every session length too. A removed cgroup ends the container with a ContainerExit event.
/// </para>
/// Runs on one async loop; the event pump applies its decisions in order.
/// </summary>
internal sealed class ProfilingScheduler
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(500);
    private const int MaxResolveAttempts = 20;

    private readonly AgentOptions _options;
    private readonly CgroupFs _cgroups;
    private readonly IContainerRuntime _runtime;
    private readonly EventPump _pump;
    private readonly IEventPublisher _publisher;
    private readonly IProfileStatusSource _statuses;
    private readonly ChannelReader<CgroupChange> _changes;
    private readonly AgentMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, TrackedContainer> _containers = new(StringComparer.Ordinal);
    private readonly Regex? _imageFilter;
    private long _discoveryOrder;
    private volatile string[] _profiled = [];
    private volatile string[] _watched = [];

    public ProfilingScheduler(AgentOptions options, CgroupFs cgroups, IContainerRuntime runtime, EventPump pump,
        IEventPublisher publisher, IProfileStatusSource statuses, ChannelReader<CgroupChange> changes,
        AgentMetrics metrics, TimeProvider time, ILogger logger)
    {
        _options = options;
        _cgroups = cgroups;
        _runtime = runtime;
        _pump = pump;
        _publisher = publisher;
        _statuses = statuses;
        _changes = changes;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _imageFilter = string.IsNullOrEmpty(options.ImageFilter) ? null : new Regex(options.ImageFilter, RegexOptions.CultureInvariant);
    }

    /// <summary>Ids of the containers holding a profiling slot right now.</summary>
    public IReadOnlyList<string> ProfiledContainerIds => _profiled;

    /// <summary>Ids of every container the agent watches (all containers it found).</summary>
    public IReadOnlyList<string> WatchedContainerIds => _watched;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var cgroup in _cgroups.ListContainers())
            {
                await _pump.Watch(cgroup, _cgroups.NestedCgroups(cgroup.RelativePath), () => Scan(cgroup));
                await TrackAsync(cgroup, cancellationToken);
            }
            await TickAsync(cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                await WaitForChangesAsync(cancellationToken);
                while (_changes.TryRead(out var change))
                    await ApplyAsync(change, cancellationToken);
                await TickAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        // Shutdown: close every profiling session (the containers keep running) so the pump flushes them.
        foreach (var container in _containers.Values.Where(c => c.Profiled).ToList())
            await StopProfilingAsync(container);
    }

    private async Task WaitForChangesAsync(CancellationToken cancellationToken)
    {
        using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        tick.CancelAfter(TickInterval);
        try
        {
            await _changes.WaitToReadAsync(tick.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The pump reports a container cgroup it started watching, or a watched container's cgroup removed.</summary>
    private async Task ApplyAsync(CgroupChange change, CancellationToken cancellationToken)
    {
        if (change.Created)
        {
            if (CgroupFs.ContainerIdOf(change.Path) is { } id)
                await TrackAsync(new ContainerCgroup(change.CgroupId, id, change.Path), cancellationToken);
            return;
        }
        var removed = _containers.Values.FirstOrDefault(c => c.Cgroup.CgroupId == change.CgroupId);
        if (removed is not null) await ForgetAsync(removed);
    }

    private async Task TrackAsync(ContainerCgroup cgroup, CancellationToken cancellationToken)
    {
        if (_containers.ContainsKey(cgroup.ContainerId)) return;
        var container = new TrackedContainer(cgroup, ++_discoveryOrder) { DetectionWindowSince = _time.GetUtcNow() };
        _containers[cgroup.ContainerId] = container;
        _metrics.KnownContainers.Set(_containers.Count);
        UpdateIds();
        await ResolveAsync(container, cancellationToken);
    }

    private async Task ResolveAsync(TrackedContainer container, CancellationToken cancellationToken)
    {
        container.ResolveAttempts++;
        var details = await InspectAsync(container, cancellationToken);
        if (details is { PodSandbox: true })
        {
            // A pod's sandbox holds the pod's namespaces with a pause process: no workload to watch or profile.
            await _pump.Ignore(container.Cgroup.CgroupId);
            _containers.Remove(container.Cgroup.ContainerId);
            _metrics.KnownContainers.Set(_containers.Count);
            UpdateIds();
            _logger.LogDebug("Cgroup {Path} is the sandbox of pod {Namespace}/{Pod}: not watched", container.Cgroup.RelativePath,
                details.Ref.Kubernetes?.Namespace, details.Ref.Kubernetes?.PodName);
        }
        else if (details is not null && details.Ref.HasImage)
        {
            container.Details = details;
            container.MatchesFilter = _imageFilter?.IsMatch(details.Ref.ProfileKey!.Value.ToString()) ?? true;
            // A free slot is taken now, before the held batches go out with the image: the session then covers the
            // container from its first exec (see EventPump.StartProfiling).
            if (_containers.Values.Count(c => c.Profiled) < _options.MaxProfiledContainers && Eligible().Contains(container))
                await StartProfilingAsync(container, _time.GetUtcNow());
            await _pump.SetImage(container.Cgroup.CgroupId, details.Ref);
            if (details.Ref.Kubernetes is { } pod)
                _logger.LogInformation("Container {Container} ({Name} in pod {Namespace}/{Pod}, {Workload}) runs {Image}", Short(container),
                    details.Name, pod.Namespace, pod.PodName, pod.Workload, details.Ref.ProfileKey);
            else
                _logger.LogInformation("Container {Container} ({Name}) runs {Image}", Short(container), details.Name, details.Ref.ProfileKey);
            PublishInfo(container);
        }
        else if (container.ResolveAttempts >= MaxResolveAttempts)
        {
            await _pump.StopWaitingForImage(container.Cgroup.CgroupId);
            _logger.LogWarning("Cgroup {Path}: the container runtime does not know container {Container} or its image; it stays watched without an image",
                container.Cgroup.RelativePath, container.Cgroup.ContainerId);
        }
    }

    private async Task<ContainerDetails?> InspectAsync(TrackedContainer container, CancellationToken cancellationToken)
    {
        try
        {
            return await _runtime.InspectAsync(container.Cgroup.ContainerId, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning("Container runtime inspect of {Container} failed: {Reason}", container.Cgroup.ContainerId, ex.Message);
            return null;
        }
    }

    /// <summary>Asks the runtime again for a container's start time and republishes its record once it has one.</summary>
    private async Task RefreshStartAsync(TrackedContainer container, CancellationToken cancellationToken)
    {
        container.StartAttempts++;
        var details = await InspectAsync(container, cancellationToken);
        if (details is not { StartedAtUs: > 0 } || container.Details is null) return;
        container.Details = container.Details with { StartedAtUs = details.StartedAtUs, Running = details.Running };
        PublishInfo(container);
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();

        // Removal records can be missed (ring buffer full): the cgroup directory is the truth.
        foreach (var gone in _containers.Values.Where(c => !_cgroups.Exists(c.Cgroup.RelativePath)).ToList())
            await ForgetAsync(gone);

        foreach (var unresolved in _containers.Values.Where(c => c.Details is null && c.ResolveAttempts < MaxResolveAttempts).ToList())
            await ResolveAsync(unresolved, cancellationToken);

        // Watched from its cgroup's creation, a container is often resolved before the runtime started it.
        foreach (var created in _containers.Values.Where(c => c.Details is { StartedAtUs: 0 } && c.ExitedAtUs is null && c.StartAttempts < MaxResolveAttempts).ToList())
            await RefreshStartAsync(created, cancellationToken);

        var waiting = Eligible().Any();
        foreach (var container in _containers.Values.Where(c => c.Profiled && now - c.ProfilingSince >= _options.SessionLength).ToList())
        {
            if (waiting)
            {
                await StopProfilingAsync(container);
            }
            else
            {
                container.ProfilingSince = now;
                await _pump.Renew(container.Cgroup.CgroupId, ++container.Generation);
            }
        }

        // Detection-only containers get a fresh dedup window every session length, like profiled ones.
        foreach (var container in _containers.Values.Where(c => !c.Profiled && now - c.DetectionWindowSince >= _options.SessionLength))
        {
            container.DetectionWindowSince = now;
            await _pump.Renew(container.Cgroup.CgroupId, ++container.Generation);
        }

        var free = _options.MaxProfiledContainers - _containers.Values.Count(c => c.Profiled);
        foreach (var next in Eligible().Take(Math.Max(free, 0)).ToList())
            await StartProfilingAsync(next, now);
    }

    private IEnumerable<TrackedContainer> Eligible() =>
        _containers.Values
            .Where(c => !c.Profiled && c.Details is not null && c.MatchesFilter)
            .Select(c => (Container: c, Status: _statuses.StatusOf(c.Details!.Ref.ProfileKey!.Value)))
            .Where(x => x.Status != ProfileStatus.Stable)
            .OrderBy(x => x.Status == ProfileStatus.Learning ? 0 : 1)
            .ThenBy(x => x.Container.LastProfiledUntil ?? DateTimeOffset.MinValue)
            .ThenBy(x => x.Container.DiscoveryOrder)
            .Select(x => x.Container);

    private async Task StartProfilingAsync(TrackedContainer container, DateTimeOffset now)
    {
        container.Profiled = true;
        container.ProfilingSince = now;
        var cgroup = container.Cgroup;
        await _pump.StartProfiling(cgroup.CgroupId, ++container.Generation, () => Scan(cgroup, rescan: true));
        _logger.LogInformation("Profiling container {Container} ({Image})", Short(container), container.Details!.Ref.ProfileKey);
        PublishInfo(container);
        UpdateIds();
    }

    private async Task StopProfilingAsync(TrackedContainer container)
    {
        container.Profiled = false;
        container.LastProfiledUntil = _time.GetUtcNow();
        container.DetectionWindowSince = container.LastProfiledUntil.Value;
        await _pump.StopProfiling(container.Cgroup.CgroupId, ++container.Generation);
        PublishInfo(container);
        UpdateIds();
    }

    private async Task ForgetAsync(TrackedContainer container)
    {
        var exitedAt = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        container.Profiled = false;
        await _pump.Unwatch(container.Cgroup.CgroupId, exitedAt);
        _containers.Remove(container.Cgroup.ContainerId);
        _runtime.Forget(container.Cgroup.ContainerId);
        _metrics.KnownContainers.Set(_containers.Count);
        container.ExitedAtUs = exitedAt;
        UpdateIds();
        if (container.Details is not null)
        {
            _logger.LogInformation("Container {Container} stopped", Short(container));
            PublishInfo(container);
        }
    }

    /// <summary>The processes of a container as /proc shows them now, as synthetic Exec/Fork/Open events; a rescan (at the
    /// start of a profiling session) repeats processes already reported, for the snapshot only.</summary>
    private List<RawEvent> Scan(ContainerCgroup cgroup, bool rescan = false) =>
        ProcScanner.Scan(_cgroups.ProcessesOf(cgroup.RelativePath), _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000, _options.MaxArgs, rescan);

    private void PublishInfo(TrackedContainer container)
    {
        if (container.Details is null) return;
        _publisher.Publish(new ContainerInfo
        {
            Container = container.Details.Ref,
            Name = container.Details.Name,
            HostName = _options.HostName,
            State = container.ExitedAtUs is null ? ContainerState.Running : ContainerState.Exited,
            Profiled = container.Profiled,
            StartedAtUs = container.Details.StartedAtUs,
            ProfilingSinceUs = container.Profiled ? container.ProfilingSince.ToUnixTimeMilliseconds() * 1000 : null,
            ExitedAtUs = container.ExitedAtUs,
            UpdatedAtUs = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000,
            CgroupId = container.Cgroup.CgroupId,
        });
    }

    private void UpdateIds()
    {
        _profiled = [.. _containers.Values.Where(c => c.Profiled).Select(c => c.Cgroup.ContainerId)];
        _watched = [.. _containers.Keys];
    }

    private static string Short(TrackedContainer container) => container.Cgroup.ContainerId[..Math.Min(12, container.Cgroup.ContainerId.Length)];

    private sealed class TrackedContainer(ContainerCgroup cgroup, long discoveryOrder)
    {
        public ContainerCgroup Cgroup { get; } = cgroup;
        public long DiscoveryOrder { get; } = discoveryOrder;
        public ContainerDetails? Details { get; set; }
        public int ResolveAttempts { get; set; }
        public int StartAttempts { get; set; }
        public bool Profiled { get; set; }
        public DateTimeOffset ProfilingSince { get; set; }
        public DateTimeOffset? LastProfiledUntil { get; set; }
        public DateTimeOffset DetectionWindowSince { get; set; }
        public uint Generation { get; set; } = 1;
        public bool MatchesFilter { get; set; }
        public long? ExitedAtUs { get; set; }
    }
}
