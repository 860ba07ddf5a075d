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
/// Decides which containers hold the <see cref="AgentOptions.MaxProfiledContainers"/> profiling slots.
/// Containers come from the cgroup tree at start (already running: their processes and open files are read from
/// /proc) and from cgroup creation records afterwards. A session lasts <see cref="AgentOptions.SessionLength"/>
/// (one snapshot interval); then, if another eligible container waits, the slot rotates to it, else the session
/// renews with a fresh dedup window. Waiting containers are ordered Learning images first, then images without a
/// profile, then by how long ago they were last profiled (never first). Stable images are skipped: their profile no
/// longer changes. A removed cgroup ends its session with a ContainerExit event.
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

    /// <summary>Ids of the containers holding a slot right now.</summary>
    public IReadOnlyList<string> ProfiledContainerIds => _profiled;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var cgroup in _cgroups.ListContainers())
            await DiscoverAsync(cgroup, cancellationToken);
        await TickAsync(cancellationToken);
        try
        {
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
        // Shutdown: close every session (the containers keep running) so the pump flushes them.
        foreach (var container in _containers.Values.Where(c => c.Profiled).ToList())
            await StopProfilingAsync(container, exitedAtUs: null);
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

    private async Task ApplyAsync(CgroupChange change, CancellationToken cancellationToken)
    {
        if (change.Created)
        {
            if (_cgroups.Describe(change.Path) is { } cgroup && cgroup.CgroupId == change.CgroupId)
                await DiscoverAsync(cgroup, cancellationToken);
            return;
        }
        var removed = _containers.Values.FirstOrDefault(c => c.Cgroup.CgroupId == change.CgroupId);
        if (removed is not null) await ForgetAsync(removed);
    }

    private async Task DiscoverAsync(ContainerCgroup cgroup, CancellationToken cancellationToken)
    {
        if (_containers.ContainsKey(cgroup.ContainerId)) return; // a nested cgroup of a known container
        var container = new TrackedContainer(cgroup, ++_discoveryOrder);
        _containers[cgroup.ContainerId] = container;
        _metrics.KnownContainers.Set(_containers.Count);
        await ResolveAsync(container, cancellationToken);
    }

    private async Task ResolveAsync(TrackedContainer container, CancellationToken cancellationToken)
    {
        container.ResolveAttempts++;
        ContainerDetails? details;
        try
        {
            details = await _runtime.InspectAsync(container.Cgroup.ContainerId, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning("Container runtime inspect of {Container} failed: {Reason}", container.Cgroup.ContainerId, ex.Message);
            details = null;
        }
        if (details is not null && details.Ref.HasImage)
        {
            container.Details = details;
            container.MatchesFilter = _imageFilter?.IsMatch(details.Ref.ProfileKey!.Value.ToString()) ?? true;
            _logger.LogInformation("Container {Container} ({Name}) runs {Image}", container.Cgroup.ContainerId[..12], details.Name, details.Ref.ProfileKey);
            PublishInfo(container);
        }
        else if (container.ResolveAttempts >= MaxResolveAttempts)
        {
            _logger.LogWarning("Giving up on cgroup {Path}: the container runtime does not know container {Container} or its image",
                container.Cgroup.RelativePath, container.Cgroup.ContainerId);
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();

        // Removal records can be missed (ring buffer full): the cgroup directory is the truth.
        foreach (var gone in _containers.Values.Where(c => !_cgroups.Exists(c.Cgroup.RelativePath)).ToList())
            await ForgetAsync(gone);

        foreach (var unresolved in _containers.Values.Where(c => c.Details is null && c.ResolveAttempts < MaxResolveAttempts).ToList())
            await ResolveAsync(unresolved, cancellationToken);

        var waiting = Eligible().Any();
        foreach (var container in _containers.Values.Where(c => c.Profiled && now - c.ProfilingSince >= _options.SessionLength).ToList())
        {
            if (waiting)
            {
                await StopProfilingAsync(container, exitedAtUs: null);
            }
            else
            {
                container.ProfilingSince = now;
                await _pump.RenewSession(container.Cgroup.CgroupId, ++container.Generation);
            }
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
        var maxArgs = _options.MaxArgs;
        await _pump.StartSession(cgroup.CgroupId, container.Details!.Ref, ++container.Generation,
            () => ProcScanner.Scan(_cgroups.ProcessesOf(cgroup.RelativePath), _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000, maxArgs));
        _logger.LogInformation("Profiling container {Container} ({Image})", cgroup.ContainerId[..12], container.Details.Ref.ProfileKey);
        PublishInfo(container);
        UpdateProfiled();
    }

    private async Task StopProfilingAsync(TrackedContainer container, long? exitedAtUs)
    {
        container.Profiled = false;
        container.LastProfiledUntil = _time.GetUtcNow();
        await _pump.EndSession(container.Cgroup.CgroupId, exitedAtUs);
        UpdateProfiled();
    }

    private async Task ForgetAsync(TrackedContainer container)
    {
        var exitedAt = _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        if (container.Profiled) await StopProfilingAsync(container, exitedAt);
        _containers.Remove(container.Cgroup.ContainerId);
        _metrics.KnownContainers.Set(_containers.Count);
        container.ExitedAtUs = exitedAt;
        if (container.Details is not null)
        {
            _logger.LogInformation("Container {Container} stopped", container.Cgroup.ContainerId[..12]);
            PublishInfo(container);
        }
    }

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

    private void UpdateProfiled() =>
        _profiled = [.. _containers.Values.Where(c => c.Profiled).Select(c => c.Cgroup.ContainerId)];

    private sealed class TrackedContainer(ContainerCgroup cgroup, long discoveryOrder)
    {
        public ContainerCgroup Cgroup { get; } = cgroup;
        public long DiscoveryOrder { get; } = discoveryOrder;
        public ContainerDetails? Details { get; set; }
        public int ResolveAttempts { get; set; }
        public bool Profiled { get; set; }
        public DateTimeOffset ProfilingSince { get; set; }
        public DateTimeOffset? LastProfiledUntil { get; set; }
        public uint Generation { get; set; }
        public bool MatchesFilter { get; set; }
        public long? ExitedAtUs { get; set; }
    }
}
