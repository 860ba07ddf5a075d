using Avro.Generic;
using Avro.IO;
using BenchmarkDotNet.Attributes;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Benchmarks;

/// <summary>
/// RawEventBatch encode/decode through the project's codec (single-object framing, domain records in and out), against
/// Apache.Avro's GenericDatumReader/Writer on the same bytes as the baseline (generic records only, no domain mapping).
/// One batch = 256 events of one container, the agent's flush size. Reported time is per event (OperationsPerInvoke),
/// so events/s = 1 / time.
/// Run: dotnet run -c Release --project bench/WorkloadProfiles.Benchmarks -- --filter '*AvroContract*'
/// </summary>
[MemoryDiagnoser]
public class AvroContractBenchmarks
{
    private const int EventsPerBatch = 256;

    private readonly IAvroCodec<RawEventBatch> _codec = AvroCodecs.Default.For<RawEventBatch>();
    private readonly GenericDatumReader<GenericRecord> _genericReader = new(AvroContracts.RawEventBatch.Schema, AvroContracts.RawEventBatch.Schema);
    private readonly GenericDatumWriter<GenericRecord> _genericWriter = new(AvroContracts.RawEventBatch.Schema);
    private RawEventBatch _batch = null!;
    private byte[] _framed = [];
    private byte[] _body = [];
    private GenericRecord _generic = null!;

    [GlobalSetup]
    public void Setup()
    {
        _batch = MakeBatch();
        _framed = _codec.Serialize(_batch);
        _body = AvroContracts.RawEventBatch.EncodeBody(_batch);
        _generic = _genericReader.Read(null!, new BinaryDecoder(new MemoryStream(_body)));
    }

    [Benchmark(OperationsPerInvoke = EventsPerBatch)]
    public byte[] Encode() => _codec.Serialize(_batch);

    [Benchmark(OperationsPerInvoke = EventsPerBatch)]
    public RawEventBatch Decode() => _codec.Deserialize(_framed);

    [Benchmark(OperationsPerInvoke = EventsPerBatch)]
    public byte[] ApacheGenericEncode()
    {
        var output = new MemoryStream(_body.Length);
        _genericWriter.Write(_generic, new BinaryEncoder(output));
        return output.ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = EventsPerBatch)]
    public GenericRecord ApacheGenericDecode() => _genericReader.Read(null!, new BinaryDecoder(new MemoryStream(_body)));

    /// <summary>A web-server-like mix: execs with argv, file opens, DNS questions, connects, forks and exits.</summary>
    private static RawEventBatch MakeBatch()
    {
        const long t0 = 1_767_225_600_000_000;
        var events = new RawEvent[EventsPerBatch];
        for (var i = 0; i < events.Length; i++)
        {
            var pid = 1000 + i % 16;
            events[i] = (i % 8) switch
            {
                0 => new RawEvent { Kind = EventKind.Exec, TimestampUs = t0 + i, Pid = pid, Ppid = 1, Tid = pid, Comm = "sh", ExecutablePath = "/bin/sh", Args = ["sh", "-c", "curl -fsS http://localhost:8080/healthz"] },
                1 => new RawEvent { Kind = EventKind.Fork, TimestampUs = t0 + i, Pid = pid, Ppid = 1, Tid = pid, Comm = "nginx", ChildPid = pid + 100 },
                2 or 3 or 4 => new RawEvent { Kind = EventKind.Open, TimestampUs = t0 + i, Pid = pid, Ppid = 1, Tid = pid, Comm = "nginx", FilePath = $"/usr/share/nginx/html/assets/app.{i % 7}.js", FileFlags = 0x80000 },
                5 => new RawEvent { Kind = EventKind.Dns, TimestampUs = t0 + i, Pid = pid, Ppid = 1, Tid = pid, Comm = "nginx", DnsQuestionName = "api.internal.example.com", DnsQuestionType = 1, DestinationAddress = "10.96.0.10", DestinationPort = 53, Transport = NetworkTransport.Udp },
                6 => new RawEvent { Kind = EventKind.Connect, TimestampUs = t0 + i, Pid = pid, Ppid = 1, Tid = pid, Comm = "nginx", Transport = NetworkTransport.Tcp, DestinationAddress = "10.1.2.3", DestinationPort = 8443 },
                _ => new RawEvent { Kind = EventKind.Exit, TimestampUs = t0 + i, Pid = pid + 100, Ppid = pid, Tid = pid + 100, Comm = "curl", ExitCode = 0 },
            };
        }
        return new RawEventBatch
        {
            Container = new ContainerRef("3f2a9c0d4e5b6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b", "registry.local/nginx", "1.27.3"),
            HostName = "node-1.example",
            AgentId = "agent-1",
            Sequence = 42,
            Events = events,
        };
    }
}
