using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Agent.Scheduling;
using WorkloadProfiles.Agent.Sensor;

namespace WorkloadProfiles.Agent;

/// <summary>
/// A running agent: the kernel sensor, the event pump on its own thread and the profiling scheduler. Stopping it
/// ends every session (flushing their batches) and then flushes the publisher.
/// </summary>
internal sealed class AgentHost : IAsyncDisposable
{
    private readonly KernelSensor _sensor;
    private readonly IEventPublisher _publisher;
    private readonly ProfilingScheduler _scheduler;
    private readonly CancellationTokenSource _schedulerStop = new();
    private readonly CancellationTokenSource _pumpStop = new();
    private readonly Thread _pumpThread;
    private readonly TaskCompletionSource _pumpDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _schedulerTask;
    private readonly ILogger _logger;
    private int _stopped;

    private AgentHost(KernelSensor sensor, IEventPublisher publisher, EventPump pump, ProfilingScheduler scheduler,
        AgentMetrics metrics, ILogger logger)
    {
        _sensor = sensor;
        _publisher = publisher;
        _scheduler = scheduler;
        Metrics = metrics;
        _logger = logger;
        _pumpThread = new Thread(() =>
        {
            try
            {
                pump.Run(_pumpStop.Token);
                _pumpDone.SetResult();
            }
            catch (Exception ex)
            {
                _logger.LogCritical(ex, "The event pump failed");
                _pumpDone.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "wp-sensor-pump",
        };
        _pumpThread.Start();
        _schedulerTask = Task.Run(() => scheduler.RunAsync(_schedulerStop.Token));
        Completion = Task.WhenAll(_pumpDone.Task, _schedulerTask);
    }

    public AgentMetrics Metrics { get; }

    /// <summary>Completes when the agent stopped; faults when the pump or scheduler failed.</summary>
    public Task Completion { get; }

    public IReadOnlyList<string> ProfiledContainerIds => _scheduler.ProfiledContainerIds;

    /// <summary>Every container the agent watches for detection (profiled or not).</summary>
    public IReadOnlyList<string> WatchedContainerIds => _scheduler.WatchedContainerIds;

    public SensorCounters SensorCounters => _sensor.ReadCounters();

    /// <summary>Loads the sensor and starts profiling. Throws <see cref="SensorUnavailableException"/> when the
    /// kernel or privileges do not allow eBPF.</summary>
    public static AgentHost Start(AgentOptions options, IEventPublisher publisher, IContainerRuntime runtime,
        IProfileStatusSource statuses, ILoggerFactory loggers, TimeProvider? time = null, AgentMetrics? metrics = null)
    {
        options.Validate();
        var logger = loggers.CreateLogger("WorkloadProfiles.Agent");
        var sensor = KernelSensor.Load(options.SensorObject, options.RingBufferBytes, loggers.CreateLogger("WorkloadProfiles.Agent.Sensor"), options.BtfPath);
        try
        {
            logger.LogInformation("eBPF sensor loaded: {Programs} programs attached", sensor.AttachedPrograms.Count);
            metrics ??= new AgentMetrics();
            var changes = Channel.CreateUnbounded<Sensor.CgroupChange>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            var decoder = new SensorRecordDecoder(KernelClock.Sample(), new StringPool(), options.MaxArgs);
            var pump = new EventPump(sensor, decoder, publisher, options, metrics, changes.Writer, logger);
            var scheduler = new ProfilingScheduler(options, new CgroupFs(options.CgroupRoot), runtime, pump, publisher,
                statuses, changes.Reader, metrics, time ?? TimeProvider.System, logger);
            return new AgentHost(sensor, publisher, pump, scheduler, metrics, logger);
        }
        catch
        {
            sensor.Dispose();
            throw;
        }
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        await _schedulerStop.CancelAsync();
        try
        {
            await _schedulerTask;
        }
        finally
        {
            await _pumpStop.CancelAsync();
            await _pumpDone.Task.ConfigureAwait(false);
            _pumpThread.Join();
            using var flushTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _publisher.FlushAsync(flushTimeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            _sensor.Dispose();
            _schedulerStop.Dispose();
            _pumpStop.Dispose();
        }
    }
}
