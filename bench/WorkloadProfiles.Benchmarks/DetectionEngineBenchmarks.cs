using BenchmarkDotNet.Attributes;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Benchmarks;

/// <summary>
/// Events/s through the rules engine with the built-in rules, against the same engine with no rules (process lineage
/// only) as the baseline: the ratio is what the rules cost on top of keeping the lineage every signal needs.
/// The workload is a web-server-like mix per batch: forks and short-lived child execs, file opens, DNS questions and
/// connects; one event in 32 (a health-check shell) raises a signal. Reported time is per event (OperationsPerInvoke).
/// Run: dotnet run -c Release --project bench/WorkloadProfiles.Benchmarks -- --filter '*DetectionEngine*'
/// </summary>
[MemoryDiagnoser]
public class DetectionEngineBenchmarks
{
    private const int Containers = 64;
    private const int EventsPerBatch = 128;
    private const int EventsPerInvoke = Containers * EventsPerBatch;

    private RawEventBatch[] _batches = [];
    private DetectionEngine _rules = null!;
    private DetectionEngine _lineageOnly = null!;

    [GlobalSetup]
    public void Setup()
    {
        _batches = [.. Enumerable.Range(0, Containers).Select(MakeBatch)];
        _rules = new DetectionEngine(RuleSet.LoadDefault());
        _lineageOnly = new DetectionEngine(RuleSet.Parse("rules: []", "empty"));
        // nginx (pid 1) exec'd once when each container started; the measured batches are its steady state afterwards
        // (re-applying that exec every invocation would nest nginx under itself deeper and deeper).
        foreach (var engine in new[] { _rules, _lineageOnly })
        {
            foreach (var batch in _batches)
            {
                engine.Evaluate(batch with
                {
                    Events = [new RawEvent { Kind = EventKind.Exec, TimestampUs = 1, Pid = 1, Comm = "nginx", ExecutablePath = "/usr/sbin/nginx", Args = ["nginx", "-g", "daemon off;"] }],
                });
            }
            Run(engine);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerInvoke)]
    public int LineageOnly() => Run(_lineageOnly);

    [Benchmark(OperationsPerInvoke = EventsPerInvoke)]
    public int DefaultRules() => Run(_rules);

    private int Run(DetectionEngine engine)
    {
        var signals = 0;
        foreach (var batch in _batches) signals += engine.Evaluate(batch).Count;
        return signals;
    }

    private static RawEventBatch MakeBatch(int container)
    {
        var events = new List<RawEvent>(EventsPerBatch);
        long ts = 1_700_000_000_000_000;
        RawEvent E(RawEvent e) => e with { TimestampUs = ts += 10 };

        var child = 100;
        while (events.Count < EventsPerBatch)
        {
            var slot = events.Count % 32;
            if (slot == 0)
            {
                // A worker runs a health-check shell and exits: fork, exec, exit. The shell rule fires on it.
                child++;
                events.Add(E(new() { Kind = EventKind.Fork, TimestampUs = 0, Pid = 1, ChildPid = child, Comm = "nginx" }));
                events.Add(E(new() { Kind = EventKind.Exec, TimestampUs = 0, Pid = child, Comm = "sh", ExecutablePath = "/bin/sh", Args = ["sh", "-c", "test -f /run/nginx.pid"] }));
                events.Add(E(new() { Kind = EventKind.Exit, TimestampUs = 0, Pid = child }));
            }
            else if (slot % 8 == 1)
            {
                events.Add(E(new() { Kind = EventKind.Dns, TimestampUs = 0, Pid = 1, Comm = "nginx", DnsQuestionName = "api.example.com", Transport = NetworkTransport.Udp, DestinationAddress = "10.96.0.10", DestinationPort = 53 }));
            }
            else if (slot % 8 == 2)
            {
                events.Add(E(new() { Kind = EventKind.Connect, TimestampUs = 0, Pid = 1, Comm = "nginx", Transport = NetworkTransport.Tcp, DestinationAddress = "10.0.0.5", DestinationPort = 8080 }));
            }
            else
            {
                var path = (slot % 4) switch
                {
                    0 => "/usr/share/nginx/html/index.html",
                    1 => "/etc/nginx/conf.d/default.conf",
                    2 => "/var/cache/nginx/proxy_temp/1/00/0000000001",
                    _ => "/var/log/nginx/access.log",
                };
                var flags = slot % 4 is 2 or 3 ? 0x41 : 0;
                events.Add(E(new() { Kind = EventKind.Open, TimestampUs = 0, Pid = 1, Comm = "nginx", FilePath = path, FileFlags = flags }));
            }
        }

        return new RawEventBatch
        {
            Container = new ContainerRef($"container-{container:D4}", "nginx", "1.27"),
            HostName = "bench",
            Events = events,
        };
    }
}
