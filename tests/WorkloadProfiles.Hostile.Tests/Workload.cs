using System.Globalization;
using System.Text;
using System.Text.Json;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Detection.Falco;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Hostile.Tests;

/// <summary>What must become of a record the suite sends.</summary>
internal enum Fate
{
    /// <summary>A record of ours: it (or what it becomes) reaches ClickHouse, and nobody dead-letters it.</summary>
    Valid,
    /// <summary>Hostile and unusable: at least one consumer dead-letters it, with one of the expected reasons.</summary>
    DeadLettered,
    /// <summary>Hostile but legal (a 10k-deep process chain, a million paths): processed, bounded, counted.</summary>
    Accepted,
}

/// <summary>One record to send: where, what, and its fate. Partition and offset are filled in when the broker acknowledges it.</summary>
internal sealed class Outgoing(string topic, string kind, Fate fate, byte[]? key, byte[]? value, long? timestampMs = null, string[]? reasons = null)
{
    public string Topic { get; } = topic;
    public string Kind { get; } = kind;
    public Fate Fate { get; } = fate;
    public byte[]? Key { get; } = key;
    public byte[]? Value { get; } = value;
    public long? TimestampMs { get; } = timestampMs;
    public IReadOnlyList<string> Reasons { get; } = reasons ?? [];
    /// <summary>Storm batches are paced so the broker's retention never drops one before both raw consumers read it.</summary>
    public bool Paced { get; init; }
    public int Partition { get; set; } = -1;
    public long Offset { get; set; } = -1;
}

/// <summary>
/// The suite's input, deterministic for a seed and a base time: valid traffic on every consumed topic (six containers of
/// three images for six one-minute windows, plus records straight onto the other topics), hostile records interleaved
/// with it (≥ 1,000, every kind on every topic), and two legal stress loads first (a 10k-deep exec chain, a million
/// distinct paths in one container). <see cref="Valid"/> also says what the valid part must become.
/// </summary>
internal sealed class Workload
{
    public const int StormPaths = 1_000_000;
    public const int StormBatchEvents = 16_000;
    public const int ChainDepth = 10_000;

    static readonly AvroCodecs Codecs = AvroCodecs.Default;
    static readonly string[] Malformed = [ContractErrorReasons.MalformedAvro];
    static readonly string[] AnyDecodeFailure =
        [ContractErrorReasons.MalformedAvro, ContractErrorReasons.UnknownSchema, ContractErrorReasons.WrongType, ContractErrorReasons.Oversized, "empty-record"];
    static readonly string[] Invalid = [ContractErrorReasons.InvalidValue];
    static readonly string[] Oversized = [ContractErrorReasons.Oversized];
    static readonly string[] FalcoReasons =
        [FalcoParseError.MalformedJson, FalcoParseError.MissingField, FalcoParseError.InvalidTime, FalcoParseError.NoContainer, "empty-record"];
    static readonly long Year2200Us = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;

    readonly Random _random;
    readonly long _baseUs;
    readonly List<Outgoing> _stress = [];
    readonly List<Outgoing> _valid = [];
    readonly List<Outgoing> _hostile = [];

    public Workload(int seed, long baseUs)
    {
        _random = new Random(seed);
        _baseUs = baseUs;
        Stress();
        ValidRaw(Containers);
        ValidDirect();
        foreach (var topic in AvroTopics)
        {
            HostileAvro(topic);
        }

        HostileRaw();
        HostileFalco();
        Records = [.. _stress, .. Interleave()];
    }

    Workload(long baseUs, IReadOnlyList<(ContainerRef Container, string Program)> containers)
    {
        _random = new Random(0);
        _baseUs = baseUs;
        ValidRaw(containers);
        Records = _valid;
    }

    /// <summary>Valid raw traffic only: <paramref name="containers"/> containers of three images (for the scale-out test).</summary>
    public static Workload ValidTraffic(long baseUs, int containers) => new(baseUs, [.. Enumerable.Range(0, containers).Select(i => (i % 3) switch
    {
        0 => (new ContainerRef($"v-web-{i}", "shop/web", "1.0"), "/usr/sbin/nginx"),
        1 => (new ContainerRef($"v-db-{i}", "shop/db", "2.0"), "/usr/local/bin/postgres"),
        _ => (new ContainerRef($"v-job-{i}", "shop/worker", "3.0"), "/app/worker"),
    })]);

    /// <summary>Everything, in sending order: the stress loads, then valid and hostile records interleaved.</summary>
    public IReadOnlyList<Outgoing> Records { get; }

    /// <summary>What the valid input must become in ClickHouse.</summary>
    public ValidOutcome Valid { get; } = new();

    public static readonly string[] AvroTopics =
        [Topics.EventsRaw, Topics.Snapshots, Topics.Profiles, Topics.Signals, Topics.SignalsEnriched, Topics.Suppressions, Topics.Containers];

    /// <summary>A time-aligned base a quarter of an hour ago: every event of the suite is believable now and for a while.</summary>
    public static long BaseNow()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        return now - now % 60_000_000 - 15 * 60_000_000L;
    }

    long Minutes(double minutes) => _baseUs + (long)(minutes * 60_000_000);

    static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    // ---- stress: legal but extreme, in window 0, each container ends with its exit ----

    void Stress()
    {
        // A chain of 10,000 processes, each forked by the previous one and exec'ing the next program.
        var deep = new ContainerRef("s-deep-chain", "stress/deep", "1.0");
        var events = new List<RawEvent> { Exec(Minutes(0.1), 1, "/opt/chain/step-a") };
        for (var level = 1; level < ChainDepth; level++)
        {
            events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = Minutes(0.1) + level, Pid = level, ChildPid = level + 1, Comm = "step" });
            events.Add(Exec(Minutes(0.1) + level, level + 1, $"/opt/chain/step-{Letters(level)}"));
            if (events.Count >= 2_000 || level == ChainDepth - 1)
            {
                _stress.Add(RawBatch(deep, events, Fate.Accepted, "10k-deep chain"));
                events = [];
            }
        }

        _stress.Add(RawBatch(deep, [Open(Minutes(0.5), ChainDepth, "/data/bottom"), ContainerExit(Minutes(0.6))], Fate.Accepted, "10k-deep chain"));

        // A million distinct paths opened by one process of one container in one window.
        var storm = new ContainerRef("s-path-storm", "stress/storm", "1.0");
        _stress.Add(RawBatch(storm, [Exec(Minutes(0.2), 1, "/usr/bin/indexer")], Fate.Accepted, "1M distinct paths"));
        for (var first = 0; first < StormPaths; first += StormBatchEvents)
        {
            var batch = Enumerable.Range(first, Math.Min(StormBatchEvents, StormPaths - first))
                .Select(i => Open(Minutes(0.2) + 1 + i / 100, 1, $"/data/storm/{Letters(i)}", comm: "indexer")).ToList();
            var record = RawBatch(storm, batch, Fate.Accepted, "1M distinct paths", paced: true);
            if (record.Value!.Length > 900_000) throw new InvalidOperationException($"a storm batch is {record.Value.Length} bytes, over what the jobs take in");
            _stress.Add(record);
        }

        _stress.Add(RawBatch(storm, [ContainerExit(Minutes(0.7))], Fate.Accepted, "1M distinct paths"));
        Valid.Snapshots.Add(ActivitySnapshot.MakeId(deep.Id, Minutes(0)));
        Valid.Snapshots.Add(ActivitySnapshot.MakeId(storm.Id, Minutes(0)));

        // A 10,000-level snapshot straight onto wp.snapshots.
        var snapshot = DeepSnapshot();
        _stress.Add(new Outgoing(Topics.Snapshots, "10k-deep snapshot", Fate.Accepted, Utf8("stress/deeptree@1.0"), Codecs.For<ActivitySnapshot>().Serialize(snapshot)));
        Valid.Snapshots.Add(snapshot.SnapshotId);
    }

    ActivitySnapshot DeepSnapshot()
    {
        var builder = new SnapshotBuilder(new ContainerRef("s-deep-tree", "stress/deeptree", "1.0"), "node-s", Minutes(0), Minutes(1),
            new SnapshotLimits { MaxNodes = ChainDepth + 10 });
        builder.Add(Exec(Minutes(0.1), 1, "/opt/tree/level-a"));
        for (var level = 1; level < ChainDepth; level++)
        {
            builder.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = Minutes(0.1), Pid = level, ChildPid = level + 1, Comm = "level" });
            builder.Add(Exec(Minutes(0.1), level + 1, $"/opt/tree/level-{Letters(level)}"));
        }

        return builder.Build();
    }

    // ---- valid traffic ----

    static readonly (ContainerRef Container, string Program)[] Containers =
    [
        (new ContainerRef("v-web-1", "shop/web", "1.0"), "/usr/sbin/nginx"),
        (new ContainerRef("v-web-2", "shop/web", "1.0"), "/usr/sbin/nginx"),
        (new ContainerRef("v-web-3", "shop/web", "1.0"), "/usr/sbin/nginx"),
        (new ContainerRef("v-db-1", "shop/db", "2.0"), "/usr/local/bin/postgres"),
        (new ContainerRef("v-db-2", "shop/db", "2.0"), "/usr/local/bin/postgres"),
        (new ContainerRef("v-job-1", "shop/worker", "3.0"), "/app/worker"),
    ];

    /// <summary>Six one-minute windows (1..6) of six containers, a batch every 10 s, shells and /etc writes that raise signals.</summary>
    void ValidRaw(IReadOnlyList<(ContainerRef Container, string Program)> containers)
    {
        var raw = new List<(long At, Outgoing Record, RawEventBatch Batch)>();
        foreach (var (container, program) in containers)
        {
            var windows = new HashSet<long>();
            for (var step = 0; step < 36; step++)
            {
                var at = Minutes(1 + step / 6.0) + containers.Select(c => c.Container.Id).ToList().IndexOf(container.Id) * 10_000L;
                var events = new List<RawEvent>();
                if (step == 0)
                {
                    events.Add(Exec(at, 1, program));
                    events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = at + 1, Pid = 1, ChildPid = 2, Comm = Path.GetFileName(program) });
                }

                for (var i = 0; i < 6; i++)
                {
                    events.Add(i % 3 == 2
                        ? Dns(at + 10 + i, 2, $"{container.ImageName!.Replace('/', '-')}.internal")
                        : Open(at + 10 + i, 1 + i % 2, $"/srv/{container.ImageName}/file-{(step + i) % 7}.dat"));
                }

                if (step % 12 == 6)
                {
                    events.Add(new RawEvent { Kind = EventKind.Fork, TimestampUs = at + 30, Pid = 2, ChildPid = 100 + step, Comm = "worker" });
                    events.Add(Exec(at + 31, 100 + step, "/bin/sh", "sh", "-c", "logrotate /etc/logrotate.conf"));
                    events.Add(Open(at + 32, 100 + step, "/etc/app.conf", comm: "sh", flags: 0x41));
                    events.Add(new RawEvent { Kind = EventKind.Exit, TimestampUs = at + 33, Pid = 100 + step, Comm = "sh" });
                }

                if (step == 35)
                {
                    events.Add(ContainerExit(at + 50));
                }

                foreach (var e in events)
                {
                    windows.Add(e.TimestampUs - (e.TimestampUs - _baseUs) % 60_000_000L);
                }

                raw.Add((at, RawBatch(container, events, Fate.Valid, "valid batch"), Batch(container, events)));
            }

            foreach (var window in windows)
            {
                Valid.Snapshots.Add(ActivitySnapshot.MakeId(container.Id, window));
            }

            Valid.ProfileSnapshots[$"{container.ImageName}@{container.ImageTag}"] =
                Valid.ProfileSnapshots.GetValueOrDefault($"{container.ImageName}@{container.ImageTag}") + windows.Count;
        }

        // In event-time order across containers, as agents flush them: no valid event is late.
        foreach (var (_, record, batch) in raw.OrderBy(r => r.At))
        {
            _valid.Add(record);
            Valid.RawBatches.Add(batch);
        }
    }

    /// <summary>Valid records straight onto the topics that are not raw events.</summary>
    void ValidDirect()
    {
        for (var i = 0; i < 20; i++)
        {
            var snapshot = Snapshot(new ContainerRef($"d-snap-{i}", "direct/snap", "1.0"), Minutes(1 + i % 5), $"/srv/direct/{Letters(i)}");
            _valid.Add(new Outgoing(Topics.Snapshots, "valid snapshot", Fate.Valid, Utf8("direct/snap@1.0"), Codecs.For<ActivitySnapshot>().Serialize(snapshot)));
            Valid.Snapshots.Add(snapshot.SnapshotId);
        }

        Valid.ProfileSnapshots["direct/snap@1.0"] = 20;
        for (var i = 0; i < 10; i++)
        {
            var profile = Profile($"direct/prof-{Letters(i)}");
            _valid.Add(new Outgoing(Topics.Profiles, "valid profile", Fate.Valid, Utf8(profile.Key.ToString()), Codecs.For<SecurityProfile>().Serialize(profile)));
            Valid.ProfileSnapshots[profile.Key.ToString()] = profile.SnapshotCount;
        }

        for (var i = 0; i < 30; i++)
        {
            var signal = Signal($"d-sig-{i}", Minutes(1 + i / 10.0));
            _valid.Add(new Outgoing(Topics.Signals, "valid signal", Fate.Valid, Utf8("direct/prof-a@1.0"), Codecs.For<SecuritySignal>().Serialize(signal)));
            Valid.Signals.Add(signal.SignalId);
        }

        for (var i = 0; i < 30; i++)
        {
            var enriched = new EnrichedSignal { Signal = Signal($"d-enr-{i}", Minutes(1 + i / 10.0)), EnrichedAtUs = Minutes(2) };
            _valid.Add(new Outgoing(Topics.SignalsEnriched, "valid enriched signal", Fate.Valid, Utf8("direct/prof-a@1.0"),
                Codecs.For<EnrichedSignal>().Serialize(enriched)));
            Valid.Signals.Add(enriched.Signal.SignalId);
        }

        for (var i = 0; i < 10; i++)
        {
            // Scoped to an image with no traffic: no suppression may change which signals the suite's input raises.
            var suppression = new Suppression
            {
                Id = $"d-supp-{i}", RuleId = "wp.shell-in-container", ImageName = "direct/quiet", NodeId = (ulong)(i + 1),
                Expression = "rule.id == \"wp.shell-in-container\"", Description = "suite", CreatedBy = "suite", CreatedAtUs = Minutes(1),
            };
            _valid.Add(new Outgoing(Topics.Suppressions, "valid suppression", Fate.Valid, Utf8(suppression.Id), Codecs.For<Suppression>().Serialize(suppression)));
            Valid.Suppressions.Add(suppression.Id);
        }

        for (var i = 0; i < 20; i++)
        {
            var info = new ContainerInfo
            {
                Container = new ContainerRef($"d-ctr-{i}", "direct/ctr", "1.0"), Name = $"ctr-{i}", HostName = "node-d",
                StartedAtUs = Minutes(1), UpdatedAtUs = Minutes(1) + i,
            };
            _valid.Add(new Outgoing(Topics.Containers, "valid container", Fate.Valid, Utf8(info.Container.Id), Codecs.For<ContainerInfo>().Serialize(info)));
            Valid.Containers.Add(info.Container.Id);
        }

        for (var i = 0; i < 30; i++)
        {
            var alert = FalcoAlert($"d-falco-{i}", DateTimeOffset.FromUnixTimeMilliseconds(Minutes(1 + i / 10.0) / 1000));
            _valid.Add(new Outgoing("wp.falco", "valid Falco alert", Fate.Valid, null, alert));
            Valid.Signals.Add(FalcoAlertParser.Parse(alert).SignalId);
        }
    }

    // ---- hostile records ----

    /// <summary>The decode failures and impossible values every Avro topic gets.</summary>
    void HostileAvro(string topic)
    {
        var sample = SampleOf(topic);
        var jobsRead = topic is not (Topics.SignalsEnriched or Topics.Containers or Topics.Suppressions);
        for (var i = 0; i < 30; i++)
        {
            var bytes = new byte[_random.Next(0, 3_000)];
            _random.NextBytes(bytes);
            if (i % 3 == 0 && bytes.Length > 2) (bytes[0], bytes[1]) = (0xC3, 0x01);
            Hostile(topic, "random bytes", bytes, AnyDecodeFailure);
        }

        for (var i = 0; i < 30; i++)
        {
            Hostile(topic, "truncated record", sample[..(_random.Next(0, sample.Length - 1))], i == 0 ? AnyDecodeFailure : Malformed);
        }

        for (var i = 0; i < 15; i++)
        {
            var unknown = (byte[])sample.Clone();
            _random.NextBytes(unknown.AsSpan(2, 8));
            Hostile(topic, "unknown fingerprint", unknown, [ContractErrorReasons.UnknownSchema]);
        }

        for (var i = 0; i < 5; i++)
        {
            Hostile(topic, "another contract's record", topic == Topics.Containers ? SampleOf(Topics.Suppressions) : SampleOf(Topics.Containers),
                [ContractErrorReasons.WrongType]);
        }

        for (var i = 0; i < 15; i++)
        {
            Hostile(topic, "non-UTF-8 string", NonUtf8(topic), Malformed);
        }

        for (var i = 0; i < 3; i++)
        {
            Hostile(topic, "empty value", [], AnyDecodeFailure);
        }

        // Over the codec limit: a framed record of 2.5 MB.
        for (var i = 0; i < 2; i++)
        {
            var huge = new byte[PipelineProcesses.MaxRecordBytes + 500_000];
            sample.AsSpan(0, 10).CopyTo(huge);
            Hostile(topic, "over the codec limit", huge, Oversized);
        }

        // Over the broker limit but under the codec limit: a real record of 1.2 MB, which no producer of ours may write.
        if (jobsRead)
        {
            for (var i = 0; i < 2; i++)
            {
                Hostile(topic, "over the broker limit", Large(topic), Oversized);
            }
        }

        foreach (var (kind, bytes) in ImpossibleTimes(topic))
        {
            Hostile(topic, kind, bytes, Invalid);
        }

        if (topic is Topics.EventsRaw or Topics.Snapshots or Topics.Signals)
        {
            for (var i = 0; i < 3; i++)
            {
                Hostile(topic, "null value", null, ["empty-record"]);
            }
        }
    }

    /// <summary>Raw batches no agent writes: impossible pids and identities, events far older than their record.</summary>
    void HostileRaw()
    {
        var container = new ContainerRef("h-raw", "hostile/raw", "1.0");
        foreach (var pid in new[] { -5, int.MinValue, RawBatchLimits.MaxPid + 1, int.MaxValue })
        {
            for (var i = 0; i < 3; i++)
            {
                var batch = Batch(container, [Open(Minutes(2), pid, "/data/x")]);
                Hostile(Topics.EventsRaw, "out-of-range pid", Codecs.For<RawEventBatch>().Serialize(batch), Invalid, Minutes(2) / 1000);
            }
        }

        for (var i = 0; i < 5; i++)
        {
            var batch = Batch(new ContainerRef(new string('c', 300 + i), "hostile/raw", "1.0"), [Open(Minutes(2), 1, "/data/x")]);
            Hostile(Topics.EventsRaw, "impossible container id", Codecs.For<RawEventBatch>().Serialize(batch), Invalid, Minutes(2) / 1000);
        }

        for (var i = 0; i < 5; i++)
        {
            // Two days older than its record: no agent holds an event that long.
            var batch = Batch(container, [Open(Minutes(2) - (long)TimeSpan.FromDays(2).TotalMicroseconds, 1, "/data/x")]);
            Hostile(Topics.EventsRaw, "event far older than its record", Codecs.For<RawEventBatch>().Serialize(batch), Invalid, Minutes(2) / 1000);
        }

        for (var i = 0; i < 10; i++)
        {
            // One bit-flipped event among valid ones: the valid ones are used, the batch is dead-lettered for the other.
            var batch = Batch(new ContainerRef($"h-flip-{i}", "hostile/flip", "1.0"),
                [Open(Minutes(2), 1, "/data/ok"), Open(Minutes(2) ^ (1L << 55), 1, "/data/flipped")]);
            // Sent at a random place, so its valid event may also be late: then it is dead-lettered for that too.
            Hostile(Topics.EventsRaw, "bit-flipped timestamp", Codecs.For<RawEventBatch>().Serialize(batch), [ContractErrorReasons.InvalidValue, "late-events"],
                Minutes(2) / 1000);
        }
    }

    void HostileFalco()
    {
        const string topic = "wp.falco";
        var valid = FalcoAlert("h-falco", DateTimeOffset.FromUnixTimeMilliseconds(Minutes(2) / 1000));
        for (var i = 0; i < 30; i++)
        {
            var bytes = new byte[_random.Next(0, 2_000)];
            _random.NextBytes(bytes);
            Hostile(topic, "random bytes", bytes, FalcoReasons);
        }

        for (var i = 0; i < 20; i++)
        {
            Hostile(topic, "truncated JSON", valid[..(_random.Next(1, valid.Length - 1))], FalcoReasons);
        }

        for (var i = 0; i < 10; i++)
        {
            Hostile(topic, "10k-deep JSON", Utf8(new string('[', 10_000) + new string(']', 10_000)), FalcoReasons);
        }

        string[] notObjects = ["[]", "42", "\"alert\"", "null", "true", "{}", "{\"rule\": 5}", "{\"rule\": \"r\"}", "{\"rule\": \"r\", \"time\": \"x\"}",
            "{\"rule\": \"r\", \"time\": \"2024-01-01T00:00:00Z\"}"];
        foreach (var text in notObjects.Concat(notObjects))
        {
            Hostile(topic, "JSON that is no alert", Utf8(text), FalcoReasons);
        }

        for (var i = 0; i < 15; i++)
        {
            var broken = (byte[])valid.Clone();
            var at = Encoding.UTF8.GetString(broken).IndexOf("h-falco", StringComparison.Ordinal);
            (broken[at], broken[at + 1]) = (0xFF, 0xFE);
            Hostile(topic, "non-UTF-8 JSON", broken, FalcoReasons);
        }

        for (var i = 0; i < 2; i++)
        {
            Hostile(topic, "over the codec limit", [.. valid, .. Encoding.UTF8.GetBytes(new string(' ', PipelineProcesses.MaxRecordBytes))], Oversized);
            Hostile(topic, "over the broker limit", FalcoAlert("h-falco-big", DateTimeOffset.FromUnixTimeMilliseconds(Minutes(2) / 1000), padding: 1_200_000), Oversized);
        }

        for (var i = 0; i < 10; i++)
        {
            Hostile(topic, "year 2200", FalcoAlert($"h-falco-2200-{i}", new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero)), Invalid);
        }

        for (var i = 0; i < 3; i++)
        {
            Hostile(topic, "null value", null, ["empty-record"]);
        }
    }

    void Hostile(string topic, string kind, byte[]? value, string[] reasons, long? timestampMs = null) =>
        _hostile.Add(new Outgoing(topic, kind, Fate.DeadLettered, Utf8($"h-{kind}"), value, timestampMs, reasons));

    /// <summary>Valid records in order, each hostile record at a random place among them (so every phase meets some).</summary>
    List<Outgoing> Interleave()
    {
        var result = new List<Outgoing>(_valid);
        foreach (var hostile in _hostile)
        {
            result.Insert(_random.Next(0, result.Count + 1), hostile);
        }

        return result;
    }

    // ---- building blocks ----

    byte[] SampleOf(string topic) => topic switch
    {
        Topics.EventsRaw => Codecs.For<RawEventBatch>().Serialize(Batch(new ContainerRef("h-sample", "hostile/x", "1.0"), [Open(Minutes(2), 1, "/data/MARKERMARKER")]) with { HostName = "MARKERMARKER" }),
        Topics.Snapshots => Codecs.For<ActivitySnapshot>().Serialize(Snapshot(new ContainerRef("h-sample", "hostile/x", "1.0"), Minutes(2), "/data/MARKERMARKER")),
        Topics.Profiles => Codecs.For<SecurityProfile>().Serialize(Profile("hostile/MARKERMARKER")),
        Topics.Signals => Codecs.For<SecuritySignal>().Serialize(Signal("h-MARKERMARKER", Minutes(2))),
        Topics.SignalsEnriched => Codecs.For<EnrichedSignal>().Serialize(new EnrichedSignal { Signal = Signal("h-MARKERMARKER", Minutes(2)), EnrichedAtUs = Minutes(2) }),
        Topics.Suppressions => Codecs.For<Suppression>().Serialize(new Suppression
        {
            Id = "h-MARKERMARKER", RuleId = "r", ImageName = "hostile/x", NodeId = 1, Expression = "x", Description = "x", CreatedBy = "x", CreatedAtUs = Minutes(2),
        }),
        Topics.Containers => Codecs.For<ContainerInfo>().Serialize(new ContainerInfo
        {
            Container = new ContainerRef("h-MARKERMARKER", "hostile/x", "1.0"), HostName = "h", StartedAtUs = Minutes(2), UpdatedAtUs = Minutes(2),
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(topic), topic, null),
    };

    /// <summary>A valid record whose marker string is replaced by bytes that are not UTF-8.</summary>
    byte[] NonUtf8(string topic)
    {
        var bytes = SampleOf(topic);
        var marker = Encoding.ASCII.GetBytes("MARKERMARKER");
        var at = bytes.AsSpan().IndexOf(marker);
        bytes[at + _random.Next(0, marker.Length)] = 0xFF;
        bytes[at + _random.Next(0, marker.Length)] = 0xC0;
        return bytes;
    }

    /// <summary>A real record of about 1.2 MB (in fields no cap shortens: a path in a raw event, host names).</summary>
    byte[] Large(string topic)
    {
        var padding = new string('p', 1_200_000);
        return topic switch
        {
            Topics.EventsRaw => Codecs.For<RawEventBatch>().Serialize(Batch(new ContainerRef("h-large", "hostile/x", "1.0"), [Open(Minutes(2), 1, "/data/" + padding)])),
            Topics.Snapshots => Codecs.For<ActivitySnapshot>().Serialize(Snapshot(new ContainerRef("h-large", "hostile/x", "1.0"), Minutes(2), "/data/x") with { HostName = padding }),
            Topics.Profiles => Codecs.For<SecurityProfile>().Serialize(Profile("hostile/large") with { HostNames = [padding] }),
            _ => Codecs.For<SecuritySignal>().Serialize(Signal("h-large", Minutes(2)) with { RuleName = padding }),
        };
    }

    /// <summary>Records whose times no pipeline writes: year 2200 (past what ClickHouse's DateTime holds) and before the epoch.</summary>
    IEnumerable<(string Kind, byte[] Value)> ImpossibleTimes(string topic)
    {
        foreach (var (kind, us) in new[] { ("year 2200", Year2200Us), ("negative time", -1_000_000L), ("year 2200", Year2200Us + 1), ("negative time", long.MinValue / 2) })
        {
            for (var i = 0; i < 5; i++)
            {
                yield return (kind, topic switch
                {
                    Topics.EventsRaw => Codecs.For<RawEventBatch>().Serialize(Batch(new ContainerRef($"h-time-{i}", "hostile/time", "1.0"), [Open(us, 1, "/data/t")])),
                    Topics.Snapshots => Codecs.For<ActivitySnapshot>().Serialize(Snapshot(new ContainerRef($"h-time-{i}", "hostile/time", "1.0"), Minutes(2), "/data/t") is var s
                        ? s with { SnapshotId = $"h-time-{kind}-{i}", WindowStartUs = us, WindowEndUs = us + 60_000_000, Nodes = [.. s.Nodes.Select(n => n with { FirstSeenUs = us })] } : null!),
                    Topics.Profiles => Codecs.For<SecurityProfile>().Serialize(Profile($"hostile/time-{i}") is var p
                        ? p with { Nodes = [.. p.Nodes.Select(n => n with { FirstSeenUs = us })] } : null!),
                    Topics.Signals => Codecs.For<SecuritySignal>().Serialize(Signal($"h-time-{i}", us)),
                    Topics.SignalsEnriched => Codecs.For<EnrichedSignal>().Serialize(new EnrichedSignal { Signal = Signal($"h-time-{i}", us), EnrichedAtUs = Minutes(2) }),
                    Topics.Suppressions => Codecs.For<Suppression>().Serialize(new Suppression
                    {
                        Id = $"h-time-{kind}-{i}", RuleId = "r", ImageName = "hostile/time", NodeId = 1, Expression = "x", Description = "x", CreatedBy = "x", CreatedAtUs = us,
                    }),
                    _ => Codecs.For<ContainerInfo>().Serialize(new ContainerInfo
                    {
                        Container = new ContainerRef($"h-time-{kind}-{i}", "hostile/time", "1.0"), HostName = "h", StartedAtUs = us, UpdatedAtUs = Minutes(2),
                    }),
                });
            }
        }
    }

    Outgoing RawBatch(ContainerRef container, IReadOnlyList<RawEvent> events, Fate fate, string kind, bool paced = false) =>
        new(Topics.EventsRaw, kind, fate, Utf8(container.Id), Codecs.For<RawEventBatch>().Serialize(Batch(container, events)),
            events.Max(e => e.TimestampUs) / 1000) { Paced = paced };

    static RawEventBatch Batch(ContainerRef container, IReadOnlyList<RawEvent> events) =>
        new() { Container = container, HostName = "node-1", AgentId = "suite", Events = events };

    ActivitySnapshot Snapshot(ContainerRef container, long windowStartUs, string file)
    {
        var builder = new SnapshotBuilder(container, "node-d", windowStartUs, windowStartUs + 60_000_000);
        builder.Add(Exec(windowStartUs + 1, 1, "/app/server"));
        builder.Add(Open(windowStartUs + 2, 1, file));
        return builder.Build();
    }

    SecurityProfile Profile(string image, string file = "/srv/data")
    {
        var aggregate = new ProfileAggregate(new ProfileKey(image, "1.0"), new ProfilePolicy { MaxBytes = 4 << 20 });
        aggregate.Merge(Snapshot(new ContainerRef($"p-{Letters(image.Length)}", image, "1.0"), Minutes(1), file), Minutes(2));
        return aggregate.ToProfile();
    }

    static SecuritySignal Signal(string id, long timestampUs) => new()
    {
        SignalId = id,
        RuleId = "wp.read-config",
        RuleName = "Config read",
        TimestampUs = timestampUs,
        Source = "rules",
        Container = new ContainerRef("d-sig-container", "direct/prof-a", "1.0"),
        Behaviour = new Behaviour { Kind = NodeKind.File, Ancestry = [new ProcessRef("/app/server", ["server"])], FilePath = "/srv/data", Access = FileAccessMode.Read },
    };

    static byte[] FalcoAlert(string containerId, DateTimeOffset time, int padding = 0) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["output"] = "Suite alert " + new string('x', padding),
        ["priority"] = "Warning",
        ["rule"] = "Hostile suite alert",
        ["time"] = time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        ["hostname"] = "node-f",
        ["output_fields"] = new Dictionary<string, object>
        {
            ["container.id"] = containerId,
            ["container.image.repository"] = "direct/falco",
            ["container.image.tag"] = "1.0",
            ["evt.type"] = "execve",
            ["proc.exepath"] = "/bin/bash",
            ["proc.cmdline"] = "bash -i",
            ["proc.pid"] = 42,
        },
    });

    static RawEvent Exec(long ts, int pid, string path, params string[] args) => new()
    {
        Kind = EventKind.Exec, TimestampUs = ts, Pid = pid, Comm = Path.GetFileName(path), ExecutablePath = path,
        Args = args.Length == 0 ? [Path.GetFileName(path)] : args,
    };

    static RawEvent Open(long ts, int pid, string path, string comm = "app", int flags = 0) =>
        new() { Kind = EventKind.Open, TimestampUs = ts, Pid = pid, Comm = comm, FilePath = path, FileFlags = flags };

    static RawEvent Dns(long ts, int pid, string name) => new()
    {
        Kind = EventKind.Dns, TimestampUs = ts, Pid = pid, Comm = "app", DnsQuestionName = name, DnsQuestionType = 1,
        Transport = NetworkTransport.Udp, DestinationAddress = "10.96.0.10", DestinationPort = 53,
    };

    static RawEvent ContainerExit(long ts) => new() { Kind = EventKind.ContainerExit, TimestampUs = ts, Pid = 0 };

    /// <summary>A distinct name per number, in letters only (path normalization turns digit runs into '*').</summary>
    public static string Letters(int n)
    {
        var text = new StringBuilder();
        do
        {
            text.Insert(0, (char)('a' + n % 26));
            n /= 26;
        }
        while (n > 0);
        return text.ToString();
    }
}

/// <summary>What the valid input must become.</summary>
internal sealed class ValidOutcome
{
    /// <summary>Snapshot ids the sink must write (valid containers' windows, direct snapshots, the stress loads').</summary>
    public HashSet<string> Snapshots { get; } = new(StringComparer.Ordinal);

    /// <summary>Snapshots merged per profile key (image@tag).</summary>
    public Dictionary<string, long> ProfileSnapshots { get; } = new(StringComparer.Ordinal);

    /// <summary>Signal ids that must reach wp.signals.enriched and ClickHouse (besides those the rules raise from raw batches).</summary>
    public HashSet<string> Signals { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Suppressions { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Containers { get; } = new(StringComparer.Ordinal);

    /// <summary>The valid raw batches, for the reference detection run.</summary>
    public List<RawEventBatch> RawBatches { get; } = [];
}

/// <summary>The pid bound of the jobs (RawBatchCheck is internal to the stream jobs).</summary>
internal static class RawBatchLimits
{
    public const int MaxPid = 4_194_304;
}
