using System.Text;
using Prometheus;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Mock;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.Crosscutting;
using Streamiz.Kafka.Net.State;
using Streamiz.Kafka.Net.State.InMemory;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Tests.Topology;

/// <summary>
/// Runs the pipeline topology in Streamiz' TopologyTestDriver (SYNC_TASK: deterministic, punctuation driven by the test),
/// with values encoded and decoded through the real Avro contracts.
/// </summary>
internal sealed class TopologyHarness : IDisposable
{
    readonly Dictionary<string, TestInputTopic<string, byte[]>> _inputs = [];
    readonly Dictionary<string, TestOutputTopic<string, byte[]>> _outputs = [];

    public TopologyHarness(StreamsJobOptions options)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Metrics = new StreamsMetrics(Registry);
        Codecs = PipelineCodecs.From(AvroCodecs.Default);
        Pipeline = new PipelineTopology(options, Codecs, Metrics);
        ApplicationId = "wp-streams-test-" + Guid.NewGuid().ToString("N")[..8];
        var config = new StreamConfig<StringSerDes, ByteArraySerDes> { ApplicationId = ApplicationId };
        Driver = new TopologyTestDriver(Pipeline.Build(), config, TopologyTestDriver.Mode.SYNC_TASK);
    }

    public string ApplicationId { get; }

    /// <summary>The changelog topic of a task store: what a restarted task restores it from.</summary>
    public string Changelog(string store) => $"{ApplicationId}-{store}-changelog";

    public CollectorRegistry Registry { get; }
    public StreamsMetrics Metrics { get; }
    public PipelineCodecs Codecs { get; }
    public PipelineTopology Pipeline { get; }
    public TopologyTestDriver Driver { get; }

    public void Pipe(string topic, string key, byte[]? value, DateTime? timestamp = null) =>
        Input(topic).PipeInput(key, value!, timestamp ?? DateTime.UtcNow);

    /// <summary>The input topic, created on first use (which creates the task reading it, with its processors and stores).</summary>
    public TestInputTopic<string, byte[]> Input(string topic)
    {
        if (!_inputs.TryGetValue(topic, out var input))
        {
            input = Driver.CreateInputTopic(topic, new StringSerDes(), new ByteArraySerDes());
            _inputs.Add(topic, input);
        }

        return input;
    }

    /// <summary>A task's key-value store.</summary>
    public IReadOnlyKeyValueStore<string, byte[]> Store(string name) => Driver.GetKeyValueStore<string, byte[]>(name);

    /// <summary>
    /// The in-memory store under a task's store's metering and changelog layers, where a restore from the changelog writes
    /// (Streamiz keeps those layers internal: reached by their <c>Wrapped</c> property). Keys are UTF-8 strings.
    /// </summary>
    public IKeyValueStore<Bytes, byte[]> RestoredStore(string name)
    {
        object store = Driver.GetKeyValueStore<string, byte[]>(name);
        while (store is not InMemoryKeyValueStore)
        {
            store = store.GetType().GetProperty("Wrapped")?.GetValue(store)
                ?? throw new InvalidOperationException($"store {name}: no in-memory store under {store.GetType().Name}");
        }

        return (InMemoryKeyValueStore)store;
    }

    /// <summary>
    /// Restores task store <paramref name="name"/> from <paramref name="changelog"/> (a null value deletes, as a tombstone
    /// does) and ends its restore, as a restarted task gets it from its changelog.
    /// </summary>
    public void Restore(string name, IEnumerable<(string Key, byte[]? Value)> changelog)
    {
        var store = RestoredStore(name);
        foreach (var (key, value) in changelog)
        {
            var bytes = Bytes.Wrap(Encoding.UTF8.GetBytes(key));
            if (value is null)
            {
                store.Delete(bytes);
            }
            else
            {
                store.Put(bytes, value);
            }
        }

        Pipeline.Restoration.Ended(name, 0);
    }

    /// <summary>Everything written to <paramref name="topic"/> since the last read.</summary>
    public List<(string Key, byte[] Value)> Read(string topic)
    {
        if (!_outputs.TryGetValue(topic, out var output))
        {
            output = Driver.CreateOutputTopic<string, byte[]>(topic, TimeSpan.FromMilliseconds(50), new StringSerDes(), new ByteArraySerDes());
            _outputs.Add(topic, output);
        }

        return output.ReadKeyValueList().Select(r => (r.Message.Key, r.Message.Value)).ToList();
    }

    public List<(string Key, T Value)> Read<T>(string topic, IAvroCodec<T> codec) where T : class =>
        Read(topic).Select(r => (r.Key, codec.Deserialize(r.Value))).ToList();

    public List<DeadLetter> DeadLetters() => Read(PipelineTopics.DeadLetter.Name, Codecs.DeadLetters).Select(r => r.Value).ToList();

    /// <summary>
    /// Advances the driver's wall clock in steps. The driver keeps punctuating while a punctuator makes progress, adding a
    /// tenth of the step each round, so steps shorter than ten punctuation intervals keep the total close to
    /// <paramref name="by"/> (at most a tenth more).
    /// </summary>
    public void AdvanceWallClock(TimeSpan by, TimeSpan? step = null)
    {
        var stride = step ?? TimeSpan.FromSeconds(30);
        for (var left = by; left > TimeSpan.Zero; left -= stride)
        {
            Driver.AdvanceWallClockTime(left < stride ? left : stride);
        }
    }

    public double Counter(Counter counter, params string[] labels) => labels.Length == 0 ? counter.Value : counter.WithLabels(labels).Value;

    public void Dispose() => Driver.Dispose();
}
