using System.Security.Cryptography;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;
using static WorkloadProfiles.Streams.Tests.Topology.Activity;

namespace WorkloadProfiles.Streams.Tests.Topology;

/// <summary>
/// What the jobs do with input no agent or job of ours would write: it is dead-lettered with a reason, within the
/// dead-letter bound, and never costs the valid records around it.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    static readonly string Raw = PipelineTopics.RawEvents.Name;
    static readonly long Year2200 = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1000;
    static readonly RecordLimits SmallRecords = new() { MaxMessageBytes = 64 * 1024, DeadLetters = DeadLetterBound.Of(DeadLetterBound.MinMaxBytes + 4_096) };

    readonly TopologyHarness _h = new(new StreamsJobOptions
    {
        Jobs = StreamJobs.All,
        Records = SmallRecords,
        Snapshots = new SnapshotJobOptions { Window = TimeSpan.FromMinutes(30), Grace = TimeSpan.FromMinutes(2), MaxProcessNodes = 64 },
    });

    public void Dispose() => _h.Dispose();

    void Send(RawEventBatch batch, long? recordUs = null) =>
        _h.Pipe(Raw, batch.Container.Id, _h.Codecs.Batches.Serialize(batch),
            DateTimeOffset.FromUnixTimeMilliseconds((recordUs ?? batch.Events.Where(e => e.TimestampUs < Year2200).Max(e => e.TimestampUs)) / 1000).UtcDateTime);

    List<ActivitySnapshot> Snapshots() => [.. _h.Read(PipelineTopics.Snapshots.Name, _h.Codecs.Snapshots).Select(s => s.Value)];

    [Fact]
    public void A_future_timestamp_is_dead_lettered_and_never_moves_stream_time()
    {
        Send(Batch(Web1, NginxStart(Minutes(1))));
        // A bit flip: one event of an otherwise valid batch claims year 2200.
        Send(Batch(Web1, Open(Minutes(2), 1, "/etc/nginx/mime.types"), Open(Year2200, 1, "/etc/from-the-future")));
        Send(Batch(Web1, Open(Minutes(31), 1, "/etc/nginx/mime.types")));
        Send(Batch(Web1, Open(Minutes(10), 1, "/etc/nginx/conf.d/late-but-in-grace.conf")));
        Assert.Empty(Snapshots()); // stream time is minute 31, not 2200: window 0 is still open

        Send(Batch(Web1, Open(Minutes(33), 1, "/etc/nginx/mime.types")));

        var snapshot = Assert.Single(Snapshots());
        Assert.Contains(snapshot.Nodes, n => n.Key.Contains("late-but-in-grace", StringComparison.Ordinal));
        Assert.DoesNotContain(snapshot.Nodes, n => n.Key.Contains("future", StringComparison.Ordinal));
        Assert.Equal(5, snapshot.EventCount);
        var letter = Assert.Single(_h.DeadLetters());
        Assert.Equal(ContractErrorReasons.InvalidValue, letter.Reason);
        Assert.Contains("2200", letter.Detail, StringComparison.Ordinal);
        Assert.Equal(0, _h.Counter(_h.Metrics.LateEvents));
    }

    [Fact]
    public void An_event_far_older_than_its_record_is_dead_lettered()
    {
        Send(Batch(Web1, NginxStart(Minutes(1))), recordUs: Minutes(1) + (long)TimeSpan.FromDays(3).TotalMicroseconds);

        var letter = Assert.Single(_h.DeadLetters());
        Assert.Equal(ContractErrorReasons.InvalidValue, letter.Reason);
        Assert.Contains("MaxEventDelaySeconds", letter.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_and_undecodable_records_become_dead_letters_within_the_bound()
    {
        var garbage = RandomNumberGenerator.GetBytes(200_000);
        // Not a framing byte: random garbage starting 0x00 (1 run in 256) reads as a Confluent header, unknown-schema.
        garbage[0] = 0xFF;
        _h.Pipe(Raw, "c-garbage", garbage, DateTime.UtcNow);
        var big = Batch(Web1, [.. Enumerable.Range(0, 2_000).Select(i => Open(Minutes(1) + i, 1, $"/data/{i}/" + new string('x', 40)))]);
        Send(big);
        Send(Batch(Web2, [.. NginxStart(Minutes(1)), ContainerExit(Minutes(2))]));

        var letters = _h.DeadLetters();
        Assert.Equal(["malformed-avro", "oversized"], letters.Select(l => l.Reason).Order());
        Assert.All(letters, l => Assert.True(_h.Codecs.DeadLetters.Serialize(l).Length <= SmallRecords.DeadLetters.MaxBytes));
        var malformed = letters.Single(l => l.Reason == "malformed-avro");
        Assert.Equal(garbage.Length, malformed.ValueSize);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(garbage)), malformed.ValueSha256);
        Assert.Equal(garbage[..malformed.Value!.Length], malformed.Value);
        Assert.True(malformed.ValueTruncated);
        // The valid container around them is untouched.
        Assert.Equal(Web2.Id, Assert.Single(Snapshots()).Container.Id);
    }

    [Fact]
    public void A_container_that_execs_endless_programs_has_its_process_table_capped()
    {
        Send(Batch(Web1, NginxStart(Minutes(1))));
        for (var round = 0; round < 4; round++)
        {
            // 40 short-lived programs per batch, each forked from nginx and gone again.
            var events = Enumerable.Range(0, 40).SelectMany(i => new[]
            {
                new RawEvent { Kind = EventKind.Fork, TimestampUs = Minutes(2 + round), Pid = 1, ChildPid = 1_000 + i, Comm = "nginx" },
                Exec(Minutes(2 + round), 1_000 + i, $"/tmp/x{(char)('a' + round)}{(char)('a' + i % 26)}{(char)('a' + i / 26)}"),
                new RawEvent { Kind = EventKind.Exit, TimestampUs = Minutes(2 + round), Pid = 1_000 + i },
            });
            Send(Batch(Web1, [.. events]));
        }

        Send(Batch(Web1, Open(Minutes(9), 1, "/etc/nginx/nginx.conf"), ContainerExit(Minutes(10))));

        // Past 64 nodes the table forgets the exited programs in place; the window goes on, nothing is late or lost.
        Assert.Equal(2, _h.Counter(_h.Metrics.ProcessTableTrims, "compacted"));
        Assert.Equal(0, _h.Counter(_h.Metrics.LateEvents));
        var snapshot = Assert.Single(Snapshots());
        Assert.Equal(3 + 4 * 120 + 2, snapshot.EventCount);
        Assert.False(snapshot.Truncated);
        Assert.Equal(1 + 160 + 2, snapshot.Nodes.Count); // nginx, the 160 programs under it, its two files
        // nginx (pid 1) is alive and keeps its node through the compactions: its later file stays under it.
        var nginx = snapshot.Nodes.Single(n => n.Kind == NodeKind.Process && n.ParentId == NodeIdentity.Root);
        Assert.Contains(snapshot.Nodes, n => n.ParentId == nginx.Id && n.Key == "/etc/nginx/nginx.conf");
        Assert.Equal(160, snapshot.Nodes.Count(n => n.Kind == NodeKind.Process && n.ParentId == nginx.Id));
    }

    [Fact]
    public void Snapshots_with_impossible_times_or_identities_never_reach_a_profile()
    {
        var builder = new SnapshotBuilder(Web1, "node-1", Minutes(0), Minutes(30));
        builder.AddRange(NginxStart(Minutes(1)));
        var valid = builder.Build();
        var futureNode = valid with { SnapshotId = "s-future", Nodes = [.. valid.Nodes.Select(n => n with { LastSeenUs = Year2200 })] };
        var longId = valid with { SnapshotId = "s-long", Container = Web1 with { Id = new string('c', 600) } };
        foreach (var snapshot in new[] { futureNode, longId, valid })
        {
            _h.Pipe(PipelineTopics.Snapshots.Name, "nginx@1.27", _h.Codecs.Snapshots.Serialize(snapshot),
                DateTimeOffset.FromUnixTimeMilliseconds(Minutes(31) / 1000).UtcDateTime);
        }

        var profile = _h.Read(PipelineTopics.Profiles.Name, _h.Codecs.Profiles).Single().Value;
        Assert.Equal([valid.SnapshotId], profile.SnapshotIds);
        Assert.Equal([ContractErrorReasons.InvalidValue, ContractErrorReasons.InvalidValue], _h.DeadLetters().Select(l => l.Reason));
    }

    [Fact]
    public void A_signal_from_the_future_is_dead_lettered_and_the_next_one_enriched()
    {
        var signal = new SecuritySignal
        {
            SignalId = "sig-1",
            RuleId = "wp.read-config",
            RuleName = "Config read",
            TimestampUs = Year2200,
            Source = "rules",
            Container = Web1,
            Behaviour = new Behaviour { Kind = NodeKind.File, Ancestry = [new ProcessRef("/usr/sbin/nginx", ["nginx"])], FilePath = "/etc/x", Access = FileAccessMode.Read },
        };
        _h.Pipe(PipelineTopics.Signals.Name, "nginx@1.27", _h.Codecs.Signals.Serialize(signal), DateTime.UtcNow);
        _h.Pipe(PipelineTopics.Signals.Name, "nginx@1.27", _h.Codecs.Signals.Serialize(signal with { SignalId = "sig-2", TimestampUs = Minutes(1) }),
            DateTime.UtcNow);

        Assert.Equal("sig-2", Assert.Single(_h.Read(PipelineTopics.EnrichedSignals.Name, _h.Codecs.EnrichedSignals)).Value.Signal.SignalId);
        Assert.Equal(ContractErrorReasons.InvalidValue, Assert.Single(_h.DeadLetters()).Reason);
    }
}

/// <summary>A processor whose processing throws on a record skips it (dead-lettered) and the task goes on.</summary>
public sealed class ProcessingFailureTests
{
    [Fact]
    public void A_record_whose_processing_throws_is_dead_lettered_and_the_next_one_processed()
    {
        var metrics = new StreamsMetrics(Prometheus.Metrics.NewCustomRegistry());
        var codecs = PipelineCodecs.From(AvroCodecs.Default);
        var builder = new StreamBuilder();
        builder.Stream("in", new StringSerDes(), new ByteArraySerDes())
            .Transform(TaskTransformer<string, byte[], string, Outgoing>.Supplier(
                () => new Throwing(new JobOutput("test", "test-job", codecs, metrics, RecordLimits.Default, NullLogger.Instance))))
            .To((_, value, _) => value.Topic, new StringSerDes(), new OutgoingSerDes());
        using var driver = new TopologyTestDriver(builder.Build(), new StreamConfig<StringSerDes, ByteArraySerDes> { ApplicationId = "guard-test" },
            TopologyTestDriver.Mode.SYNC_TASK);
        var input = driver.CreateInputTopic("in", new StringSerDes(), new ByteArraySerDes());
        var output = driver.CreateOutputTopic<string, byte[]>("out", TimeSpan.FromMilliseconds(50), new StringSerDes(), new ByteArraySerDes());
        var dead = driver.CreateOutputTopic<string, byte[]>(PipelineTopics.DeadLetter.Name, TimeSpan.FromMilliseconds(50), new StringSerDes(), new ByteArraySerDes());

        input.PipeInput("k", [1]);
        input.PipeInput("boom", [2]);
        input.PipeInput("k", [3]);

        Assert.Equal([[1], [3]], output.ReadKeyValueList().Select(r => r.Message.Value));
        var letter = codecs.DeadLetters.Deserialize(Assert.Single(dead.ReadKeyValueList()).Message.Value);
        Assert.Equal(JobOutput.ProcessingFailed, letter.Reason);
        Assert.Equal([2], letter.Value);
        Assert.Contains("InvalidOperationException: boom", letter.Detail, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Failures.WithLabels("test", "record").Value);
    }

    sealed class Throwing(JobOutput output) : ITransformer<string, byte[], string, Outgoing>, ISkipsFailedRecords<string, byte[]>
    {
        public void Init(ProcessorContext<string, Outgoing> context) => output.Init(context);

        public Record<string, Outgoing> Process(Record<string, byte[]> record)
        {
            if (record.Key == "boom") throw new InvalidOperationException("boom");
            output.Send(record.Key, "out", record.Value, new Source(record.TopicPartitionOffset, record.Key, record.Value));
            return null!;
        }

        public void Skip(Record<string, byte[]> record, Exception exception) =>
            output.Failed(new Source(record.TopicPartitionOffset, record.Key, record.Value), exception);

        public void Close()
        {
        }
    }
}
