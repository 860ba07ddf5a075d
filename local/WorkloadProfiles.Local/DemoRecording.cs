using WorkloadProfiles.Contracts.Recordings;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Local;

/// <summary>
/// A deterministic recording of the demo workload (the same scripts <see cref="DemoWorkload"/> runs in podman), for
/// machines where live eBPF capture is not possible. One container of the previous version <c>localhost/wp-demo:0.9</c>,
/// whose loop read <c>/etc/legacy.conf</c> and resolved no name (so the versions differ, as the version-diff query and
/// the explorer's compare view show), and two containers of <c>localhost/wp-demo:1.0</c>; every fifth of a
/// window each one reads <c>/etc/app.conf</c>, runs a <c>sh -c</c> health check whose shell reads <c>/etc/motd</c> and resolves
/// <c>api.demo.internal</c> and probes a local service on port 3333 (a mining-pool port too, so a benign rule hit).
/// From the second half on, the first container also opens an interactive shell
/// (<c>sh -i</c>) that reads <c>/etc/shadow</c>: behaviour the profile never saw, so its signals get no suggestion,
/// while the health check's shell signals do once the profile is Stable.
/// Timestamps start at a fixed instant and follow the scaled window length; replay shifts them to now.
/// </summary>
internal static class DemoRecording
{
    public const string ImageName = "localhost/wp-demo";
    public const string ImageTag = "1.0";
    /// <summary>The version before <see cref="ImageTag"/>, whose profile the demo compares with.</summary>
    public const string PreviousImageTag = "0.9";
    const int TicksPerWindow = 5;
    static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Writes the recording for <paramref name="windows"/> windows of <paramref name="window"/> each; returns the batch count.</summary>
    public static long Write(string path, TimeSpan window, int windows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new RecordingWriter(File.Create(path));
        foreach (var batch in Batches(window, windows)) writer.Write(batch);
        return writer.BatchesWritten;
    }

    public static IEnumerable<RawEventBatch> Batches(TimeSpan window, int windows)
    {
        var containers = new[] { new Container(ContainerId(1), ImageTag), new Container(ContainerId(2), ImageTag), new Container(ContainerId(3), PreviousImageTag) };
        var tick = window / TicksPerWindow;
        var startUs = Start.ToUnixTimeMilliseconds() * 1000;
        for (var t = 0; t < windows * TicksPerWindow; t++)
        {
            var tickUs = startUs + (long)(tick.TotalMicroseconds * t);
            for (var c = 0; c < containers.Length; c++)
            {
                var container = containers[c];
                var events = new List<RawEvent>();
                var at = tickUs + c * 1000;
                var previous = container.Tag == PreviousImageTag;
                if (t == 0) events.Add(Exec(at, 1, 0, "sh", ["/bin/sh", "-c", previous ? DemoWorkload.PreviousScript : DemoWorkload.Script]));
                if (previous)
                {
                    container.Run(events, ref at, ["cat", "/etc/legacy.conf"], open: "/etc/legacy.conf");
                    container.Run(events, ref at, ["sh", "-c", DemoWorkload.HealthCheck], open: "/etc/motd");
                    container.Run(events, ref at, ["nc", "127.0.0.1", "3333"], connectPort: DemoWorkload.ProbePort);
                    yield return BatchOf(container, events);
                    continue;
                }

                container.Run(events, ref at, ["cat", "/etc/app.conf"], open: "/etc/app.conf");
                container.Run(events, ref at, ["sh", "-c", DemoWorkload.HealthCheck], open: "/etc/motd");
                container.Run(events, ref at, ["nslookup", "api.demo.internal", "127.0.0.1"], dns: "api.demo.internal");
                container.Run(events, ref at, ["nc", "127.0.0.1", "3333"], connectPort: DemoWorkload.ProbePort);
                if (c == 0 && t >= windows * TicksPerWindow / 2 && t % TicksPerWindow == 2)
                {
                    container.Run(events, ref at, ["sh", "-i"], open: "/etc/shadow");
                }

                yield return BatchOf(container, events);
            }
        }
    }

    static RawEventBatch BatchOf(Container container, List<RawEvent> events) => new()
    {
        Container = new ContainerRef(container.Id, ImageName, container.Tag),
        HostName = "demo-host",
        AgentId = "demo-recording",
        Sequence = ++container.Sequence,
        Events = events,
    };

    static string ContainerId(int n) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([(byte)n]));

    static RawEvent Exec(long us, int pid, int ppid, string comm, string[] args) => new()
    {
        Kind = EventKind.Exec, TimestampUs = us, Pid = pid, Tid = pid, Ppid = ppid, Comm = comm,
        ExecutablePath = "/bin/busybox", Args = args,
    };

    sealed class Container(string id, string tag)
    {
        int _nextPid = 100;

        public string Id { get; } = id;

        public string Tag { get; } = tag;

        public long Sequence { get; set; }

        /// <summary>The container's shell (pid 1) forks a child that execs a busybox applet, does one thing and exits.</summary>
        public void Run(List<RawEvent> events, ref long us, string[] args, string? open = null, string? dns = null, int connectPort = 0)
        {
            var pid = _nextPid++;
            events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = us++, Pid = 1, Tid = 1, Comm = "sh", ChildPid = pid });
            events.Add(Exec(us++, pid, 1, args[0], args));
            if (open is not null)
            {
                events.Add(new RawEvent { Kind = EventKind.Open, TimestampUs = us++, Pid = pid, Tid = pid, Ppid = 1, Comm = args[0], FilePath = open });
            }

            if (dns is not null)
            {
                events.Add(new RawEvent
                {
                    Kind = EventKind.Dns, TimestampUs = us++, Pid = pid, Tid = pid, Ppid = 1, Comm = args[0], DnsQuestionName = dns,
                    DnsQuestionType = 1, Transport = NetworkTransport.Udp, DestinationAddress = "127.0.0.1", DestinationPort = 53,
                });
            }

            if (connectPort != 0)
            {
                events.Add(new RawEvent
                {
                    Kind = EventKind.Connect, TimestampUs = us++, Pid = pid, Tid = pid, Ppid = 1, Comm = args[0],
                    Transport = NetworkTransport.Tcp, DestinationAddress = "127.0.0.1", DestinationPort = connectPort,
                });
            }

            events.Add(new RawEvent { Kind = EventKind.Exit, TimestampUs = us++, Pid = pid, Tid = pid, Ppid = 1, Comm = args[0] });
        }
    }
}
