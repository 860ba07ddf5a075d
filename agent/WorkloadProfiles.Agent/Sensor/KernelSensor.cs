using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Agent.Interop;

namespace WorkloadProfiles.Agent.Sensor;

/// <summary>Receives raw ring-buffer records on the polling thread. The span is only valid during the call.</summary>
internal interface ISensorRecordHandler
{
    void OnRecord(ReadOnlySpan<byte> record);
}

/// <summary>Totals of the sensor's per-CPU counters.</summary>
internal readonly record struct SensorCounters(ulong RingBufferDrops, ulong DedupSuppressed, ulong Emitted, ulong DnsUnparsed,
    ulong OpenUnmatched, ulong PathFallbacks = 0, ulong WatchFull = 0, ulong UringFixedOpens = 0);

/// <summary>
/// The loaded and attached bpf/sensor.bpf.o: owns the libbpf object, its links and the ring-buffer consumer, and
/// exposes the maps the agent drives (<c>watched_cgroups</c>) and reads (<c>counters</c>).
/// Polling is single-threaded: call <see cref="Poll"/> from one thread; map updates are safe from any thread.
/// </summary>
internal sealed unsafe class KernelSensor : ISensor, IDisposable
{
    private readonly BpfObjectHandle _object;
    private readonly List<BpfLinkHandle> _links;
    private readonly RingBufferHandle _ringBuffer;
    private readonly GCHandle _self;
    private readonly int _watchedFd;
    private readonly int _countersFd;
    private readonly int _possibleCpus;
    private ISensorRecordHandler? _handler;
    private Exception? _handlerFailure;

    private KernelSensor(BpfObjectHandle obj, List<BpfLinkHandle> links, int eventsFd, int watchedFd, int countersFd)
    {
        _object = obj;
        _links = links;
        _watchedFd = watchedFd;
        _countersFd = countersFd;
        _possibleCpus = Libbpf.libbpf_num_possible_cpus();
        _self = GCHandle.Alloc(this);
        var rb = Libbpf.ring_buffer__new(eventsFd, &OnSample, GCHandle.ToIntPtr(_self), 0);
        if (rb == 0)
        {
            _self.Free();
            throw new SensorUnavailableException($"ring_buffer__new failed (errno {Marshal.GetLastPInvokeError()})");
        }
        _ringBuffer = new RingBufferHandle(rb);
    }

    public IReadOnlyList<string> AttachedPrograms { get; private init; } = [];

    /// <summary>Opens, loads and attaches the sensor object. Throws <see cref="SensorUnavailableException"/> with the
    /// reason (and libbpf's log, which includes the verifier's) when the kernel or privileges do not allow it.</summary>
    public static KernelSensor Load(string objectPath, uint ringBufferBytes, ILogger logger, string btfPath = SensorPrerequisites.DefaultBtfPath)
    {
        if (ringBufferBytes < 4096 || !System.Numerics.BitOperations.IsPow2(ringBufferBytes))
            throw new ArgumentOutOfRangeException(nameof(ringBufferBytes), ringBufferBytes, "The ring buffer size must be a power of two of at least 4096 bytes.");
        if (!File.Exists(objectPath))
            throw new SensorUnavailableException($"Sensor object {objectPath} not found (build it with bpf/build.sh or `dotnet build` of the agent).");
        SensorPrerequisites.Check(btfPath);
        LibbpfLog.Install(logger);
        LibbpfLog.Drain();

        var raw = Libbpf.bpf_object__open_file(objectPath, 0);
        if (raw == 0)
            throw Failure($"opening {objectPath}", Marshal.GetLastPInvokeError());
        var obj = new BpfObjectHandle(raw);
        var links = new List<BpfLinkHandle>();
        try
        {
            var events = RequireMap(obj, "events");
            if (Libbpf.bpf_map__set_max_entries(events, ringBufferBytes) != 0)
                throw new SensorUnavailableException($"libbpf refused ring buffer size {ringBufferBytes}.");
            SkipMissingOptionalHooks(raw, logger);
            var error = Libbpf.bpf_object__load(raw);
            if (error != 0)
                throw Failure($"loading {objectPath}", -error);

            var names = new List<string>();
            for (var prog = Libbpf.bpf_object__next_program(raw, 0); prog != 0; prog = Libbpf.bpf_object__next_program(raw, prog))
            {
                var name = Libbpf.PtrToString(Libbpf.bpf_program__name(prog)) ?? "?";
                if (!Libbpf.bpf_program__autoload(prog)) continue;
                var link = Libbpf.bpf_program__attach(prog);
                if (link == 0)
                    throw Failure($"attaching program {name}", Marshal.GetLastPInvokeError());
                links.Add(new BpfLinkHandle(link));
                names.Add(name);
            }

            return new KernelSensor(obj, links,
                Libbpf.bpf_map__fd(events),
                Libbpf.bpf_map__fd(RequireMap(obj, "watched_cgroups")),
                Libbpf.bpf_map__fd(RequireMap(obj, "counters")))
            {
                AttachedPrograms = names,
            };
        }
        catch
        {
            foreach (var link in links) link.Dispose();
            obj.Dispose();
            throw;
        }
    }

    /// <summary>Programs on hooks a kernel may lack (built without io_uring): not loaded there, and said so.</summary>
    private static void SkipMissingOptionalHooks(nint raw, ILogger logger)
    {
        for (var prog = Libbpf.bpf_object__next_program(raw, 0); prog != 0; prog = Libbpf.bpf_object__next_program(raw, prog))
        {
            var name = Libbpf.PtrToString(Libbpf.bpf_program__name(prog));
            if (name != "handle_uring_complete" || SensorPrerequisites.HasTracepoint("io_uring", "io_uring_complete")) continue;
            Libbpf.bpf_program__set_autoload(prog, false);
            logger.LogWarning("The kernel has no io_uring tracepoints (built without io_uring?): opens through io_uring are not watched");
        }
    }

    /// <summary>Watches a cgroup as (part of) the container whose own cgroup is <paramref name="container"/>: its activity
    /// is emitted stamped with that id. A new <paramref name="generation"/> starts a new dedup window.</summary>
    public void Watch(ulong cgroupId, ulong container, uint generation, bool nested)
    {
        var value = new SensorWatch { Container = container, Generation = generation, Flags = nested ? SensorWatch.Nested : 0 };
        if (Libbpf.bpf_map_update_elem(_watchedFd, &cgroupId, &value, Libbpf.BPF_ANY) != 0)
            throw new InvalidOperationException($"watched_cgroups update for cgroup {cgroupId} failed (errno {Marshal.GetLastPInvokeError()}); the map holds 16384 cgroups.");
    }

    /// <summary>Stops activity events for a cgroup. Returns false when it was not watched.</summary>
    public bool Unwatch(ulong cgroupId) => Libbpf.bpf_map_delete_elem(_watchedFd, &cgroupId) == 0;

    public SensorCounters ReadCounters()
    {
        ulong Sum(SensorCounter counter)
        {
            var key = (uint)counter;
            var values = stackalloc ulong[_possibleCpus];
            if (Libbpf.bpf_map_lookup_elem(_countersFd, &key, values) != 0) return 0;
            ulong total = 0;
            for (var i = 0; i < _possibleCpus; i++) total += values[i];
            return total;
        }
        return new SensorCounters(Sum(SensorCounter.RingBufferDrops), Sum(SensorCounter.DedupSuppressed),
            Sum(SensorCounter.Emitted), Sum(SensorCounter.DnsUnparsed), Sum(SensorCounter.OpenUnmatched),
            Sum(SensorCounter.PathFallback), Sum(SensorCounter.WatchFull), Sum(SensorCounter.UringFixedOpen));
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for records and hands each to <paramref name="handler"/>.
    /// Returns the number of records consumed. A handler exception stops the poll and is rethrown here.</summary>
    /// <remarks>The sensor wakes the consumer only when much is waiting (bpf/lib/output.h), so the wait usually times out
    /// and what arrived meanwhile is then drained: one wakeup per poll interval instead of one per record.</remarks>
    public int Poll(ISensorRecordHandler handler, int timeoutMs)
    {
        _handler = handler;
        var ring = _ringBuffer.DangerousGetHandle();
        var consumed = Libbpf.ring_buffer__poll(ring, timeoutMs);
        if (consumed >= 0 && _handlerFailure is null)
        {
            var drained = Libbpf.ring_buffer__consume(ring);
            consumed = drained < 0 ? drained : consumed + drained;
        }
        _handler = null;
        if (_handlerFailure is { } failure)
        {
            _handlerFailure = null;
            throw new InvalidOperationException("The sensor record handler failed", failure);
        }
        // -EINTR: a signal arrived (e.g. Ctrl-C); the caller's loop decides whether to continue.
        if (consumed < 0 && consumed != -4)
            throw new InvalidOperationException($"ring_buffer__poll failed (errno {-consumed})");
        return Math.Max(consumed, 0);
    }

    [UnmanagedCallersOnly]
    private static int OnSample(nint context, nint data, nuint size)
    {
        var sensor = (KernelSensor)GCHandle.FromIntPtr(context).Target!;
        try
        {
            sensor._handler!.OnRecord(new ReadOnlySpan<byte>((void*)data, checked((int)size)));
            return 0;
        }
        catch (Exception ex)
        {
            sensor._handlerFailure = ex;
            return -1; // stops ring_buffer__poll; Poll rethrows
        }
    }

    public void Dispose()
    {
        _ringBuffer.Dispose();
        foreach (var link in _links) link.Dispose();
        _object.Dispose();
        if (_self.IsAllocated) _self.Free();
    }

    private static nint RequireMap(BpfObjectHandle obj, string name)
    {
        var map = Libbpf.bpf_object__find_map_by_name(obj.DangerousGetHandle(), name);
        return map != 0 ? map : throw new SensorUnavailableException($"Sensor object has no map '{name}': agent and bpf/ are out of sync.");
    }

    private static SensorUnavailableException Failure(string what, int errno)
    {
        var log = LibbpfLog.Drain();
        var hint = errno switch
        {
            1 or 13 => " (permission denied: run as root or with CAP_BPF+CAP_PERFMON)",
            2 => " (a tracepoint or kernel type is missing on this kernel)",
            _ => "",
        };
        return new SensorUnavailableException($"eBPF sensor failed {what}: errno {errno}{hint}." +
            (log.Length > 0 ? Environment.NewLine + "libbpf said:" + Environment.NewLine + log : ""));
    }
}
