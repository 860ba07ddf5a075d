using System.Globalization;
using System.Text.RegularExpressions;
using ClickHouse.Driver.ADO;
using Confluent.Kafka;
using WorkloadProfiles.ClickHouse.Tests;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Hostile.Tests;

/// <summary>
/// The pipeline as separate processes, as it runs in production: the broker command, one <c>wp-streams</c> per job (each
/// its own application id and state directory, so each can be killed alone) and <c>wp-sink</c> into a ClickHouse database
/// of its own. Tracks every process's peak RSS and any exit nobody asked for.
/// </summary>
internal sealed partial class PipelineProcesses : IAsyncDisposable
{
    public static readonly string[] Jobs = ["snapshots", "profiles", "detection", "enrichment"];
    public const string Sink = "sink";

    /// <summary>The jobs' and the sink's codec limit in the suite: low enough that a record over it fits the local broker.</summary>
    public const int MaxRecordBytes = 2 * 1024 * 1024;

    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    readonly string _work;

    PipelineProcesses(LocalBrokerProcess broker, string run, string database, string work)
    {
        Broker = broker;
        Run = run;
        Database = database;
        _work = work;
    }

    public LocalBrokerProcess Broker { get; }

    public string Run { get; }

    /// <summary>The ClickHouse database the sink writes.</summary>
    public string Database { get; }

    public string BootstrapServers => Broker.BootstrapServers;

    /// <summary>Peak resident set size per member (over every process it ran as), in bytes.</summary>
    public IReadOnlyDictionary<string, long> PeakRss => _members.ToDictionary(m => m.Key, m => m.Value.PeakRss);

    /// <summary>How often each member was killed and restarted.</summary>
    public IReadOnlyDictionary<string, int> Kills => _members.ToDictionary(m => m.Key, m => m.Value.Kills);

    /// <summary>Application ids (and the sink's group) by member: whose committed offsets say what was processed.</summary>
    public string GroupOf(string member) => member == Sink ? $"{Run}-sink" : $"{Run}-{member}";

    /// <summary>Starts the broker, the four jobs and the sink; returns once each reported that it runs.</summary>
    public static async Task<PipelineProcesses> StartAsync(string run)
    {
        await LocalClickHouse.EnsureRunningAsync();
        var broker = await LocalBrokerProcess.StartAsync(StartTimeout);
        var work = Path.Combine(Path.GetTempPath(), run);
        Directory.CreateDirectory(work);
        var pipeline = new PipelineProcesses(broker, run, $"wp_{run.Replace('-', '_')}", work);
        try
        {
            foreach (var job in Jobs)
            {
                pipeline.Add(job, () => pipeline.StartJob(job));
            }

            pipeline.Add(Sink, pipeline.StartSink);
            await Task.WhenAll(pipeline._members.Values.Select(m => m.WaitReadyAsync()));
            return pipeline;
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }
    }

    void Add(string name, Func<CommandProcess> start) => _members[name] = new Member(name, start);

    CommandProcess StartJob(string job) => CommandProcess.Start("wp-streams.dll", [], new Dictionary<string, string>
    {
        ["WP_Kafka__BootstrapServers"] = BootstrapServers,
        ["WP_Kafka__LocalBrokerControlPort"] = Broker.ControlPort.ToString(CultureInfo.InvariantCulture),
        ["WP_Avro__MaxRecordBytes"] = MaxRecordBytes.ToString(CultureInfo.InvariantCulture),
        ["WP_Streams__ApplicationId"] = GroupOf(job),
        ["WP_Streams__StateDir"] = Path.Combine(_work, job),
        ["WP_Streams__Jobs"] = job,
        ["WP_Streams__WindowMinutes"] = "1",
        ["WP_Streams__GraceSeconds"] = "5",
        // Windows close by stream time and container exit only, never by the wall clock, so every run cuts the same.
        ["WP_Streams__IdleCloseSeconds"] = "3600",
        ["WP_Streams__CommitIntervalMs"] = "500",
        ["WP_Streams__LagIntervalSeconds"] = "3600",
        ["WP_Profiles__StableSnapshotCount"] = "1000",
        ["WP_Profiles__TickSeconds"] = "3600",
        ["WP_Http__Port"] = LocalBrokerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
    });

    CommandProcess StartSink() => CommandProcess.Start("wp-sink.dll", ["run"], new Dictionary<string, string>
    {
        ["WP_Kafka__BootstrapServers"] = BootstrapServers,
        ["WP_Avro__MaxRecordBytes"] = MaxRecordBytes.ToString(CultureInfo.InvariantCulture),
        ["WP_ClickHouse__ConnectionString"] = new ClickHouseConnectionStringBuilder(LocalClickHouse.ConnectionString) { Database = Database }.ConnectionString,
        ["WP_Sink__GroupId"] = GroupOf(Sink),
        ["WP_Sink__LingerMs"] = "200",
        ["WP_Sink__MetricsPort"] = "0",
        // As the stream jobs do on the local broker (LocalStreamsDefaults): a killed sink's partitions move after 6 s, not 45.
        ["WP_Kafka__Client__session.timeout.ms"] = "6000",
        ["WP_Kafka__Client__heartbeat.interval.ms"] = "2000",
    });

    /// <summary>SIGKILLs <paramref name="member"/> (as the OOM killer would) and starts it again on the same state.</summary>
    public async Task KillAndRestartAsync(string member)
    {
        var target = _members[member];
        target.Sample();
        var exit = await target.Current.SignalAsync(CommandProcess.SigKill, TimeSpan.FromSeconds(30));
        Assert.Equal(137, exit);
        await target.Current.DisposeAsync();
        target.Kills++;
        target.Restart();
        await target.WaitReadyAsync();
    }

    /// <summary>Samples every process's peak RSS.</summary>
    public void SampleRss()
    {
        foreach (var member in _members.Values)
        {
            member.Sample();
        }
    }

    /// <summary>Processes that ended without being asked to, with what they wrote.</summary>
    public IReadOnlyList<string> UnexpectedExits() =>
        [.. _members.Values.Where(m => m.Current.HasExited).Select(m => $"{m.Name} exited {m.Current.ExitCode}:\n{Tail(m.Current.Transcript)}")];

    /// <summary>Waits until every job's application and the sink committed everything on their source topics.</summary>
    public async Task WaitUntilCaughtUpAsync(TimeSpan timeout, Func<string> progress)
    {
        var sources = new Dictionary<string, string[]>
        {
            ["snapshots"] = [Topics.EventsRaw],
            ["profiles"] = [Topics.Snapshots],
            ["detection"] = [Topics.EventsRaw, "wp.falco"],
            ["enrichment"] = [Topics.Signals, Topics.Profiles],
            [Sink] = [Topics.Snapshots, Topics.Profiles, Topics.SignalsEnriched, Topics.Suppressions, Topics.Containers],
        };
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            SampleRss();
            if (UnexpectedExits() is { Count: > 0 } exits)
            {
                Assert.Fail(string.Join("\n", exits));
            }

            var behind = sources.Select(s => (Member: s.Key, Lag: Lag(admin, GroupOf(s.Key), s.Value))).Where(l => l.Lag > 0).ToList();
            if (behind.Count == 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not caught up after {timeout}: {string.Join(", ", behind.Select(b => $"{b.Member} {b.Lag}"))}; {progress()}");
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Records of <paramref name="topics"/> the group has not committed (high watermark minus committed offset).</summary>
    public long Lag(IAdminClient admin, string group, IReadOnlyList<string> topics)
    {
        var partitions = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Where(t => topics.Contains(t.Topic))
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p.PartitionId))).ToList();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = BootstrapServers, GroupId = group }).Build();
        var committed = consumer.Committed(partitions, TimeSpan.FromSeconds(10)).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        long lag = 0;
        foreach (var partition in partitions)
        {
            var high = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
            lag += Math.Max(0, high - Math.Max(0, committed.GetValueOrDefault(partition, 0)));
        }

        return lag;
    }

    /// <summary>Stops every process with SIGTERM; returns the exit codes (0 each for a clean stop).</summary>
    public async Task<IReadOnlyDictionary<string, int>> StopAsync()
    {
        SampleRss();
        var exits = new Dictionary<string, int>();
        foreach (var member in _members.Values)
        {
            exits[member.Name] = member.Current.HasExited ? member.Current.ExitCode
                : await member.Current.SignalAsync(CommandProcess.SigTerm, TimeSpan.FromSeconds(60));
        }

        return exits;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members.Values)
        {
            await member.Current.DisposeAsync();
        }

        await Broker.DisposeAsync();
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    static string Tail(string transcript) => transcript.Length <= 4_000 ? transcript : transcript[^4_000..];

    sealed partial class Member(string name, Func<CommandProcess> start)
    {
        public string Name { get; } = name;
        public CommandProcess Current { get; private set; } = start();
        public long PeakRss { get; private set; }
        public int Kills { get; set; }

        public void Restart() => Current = start();

        public async Task WaitReadyAsync() =>
            await Poll.UntilAsync(() => Current.HasExited || Current.Output.Concat(Current.Error).Any(l => Ready().IsMatch(l)), StartTimeout,
                $"{Name} to start");

        /// <summary>VmHWM: the process's peak resident set so far.</summary>
        public void Sample()
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{Current.Id}/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        PeakRss = Math.Max(PeakRss, 1024 * long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The process just ended; its last sample stands.
            }
        }

        [GeneratedRegex(@"^wp-streams ready|^wp-sink ready")]
        private static partial Regex Ready();
    }
}
