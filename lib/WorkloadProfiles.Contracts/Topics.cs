namespace WorkloadProfiles.Contracts;

/// <summary>One pipeline topic (DESIGN.md "Data flow and topics"): its value contract and default layout.</summary>
/// <param name="Name">Topic name.</param>
/// <param name="Key">What the record key holds.</param>
/// <param name="Contract">The Avro contract of the record value.</param>
/// <param name="Partitions">Default partition count; keys hash over them, so changing it re-homes keys.</param>
/// <param name="Compacted">A compacted table (latest value per key) rather than an event log.</param>
public sealed record TopicContract(string Name, string Key, IAvroContract Contract, int Partitions, bool Compacted)
{
    public Type ValueType => Contract.ValueType;

    /// <summary>The schema registry subject of the value (TopicNameStrategy).</summary>
    public string ValueSubject => Topics.ValueSubject(Name);
}

/// <summary>The pipeline's topic names and which contract each carries.</summary>
public static class Topics
{
    public const string EventsRaw = "wp.events.raw";
    public const string Snapshots = "wp.snapshots";
    public const string Profiles = "wp.profiles";
    public const string Signals = "wp.signals";
    public const string SignalsEnriched = "wp.signals.enriched";
    /// <summary>The enriched signals again as JSON (ECS by default) for SOC tools without Avro; not an Avro topic, so not in <see cref="All"/>.</summary>
    public const string SignalsEnrichedJson = "wp.signals.enriched.json";
    public const string Suppressions = "wp.suppressions";
    public const string Containers = "wp.containers";
    public const string DeadLetter = "wp.deadletter";

    /// <summary>The raw event topic has the widest fan-in, so the most partitions.</summary>
    public const int RawEventPartitions = 8;
    public const int DefaultPartitions = 4;

    /// <summary>Every pipeline topic, in data-flow order.</summary>
    public static IReadOnlyList<TopicContract> All { get; } =
    [
        new(EventsRaw, "container id", AvroContracts.RawEventBatch, RawEventPartitions, Compacted: false),
        new(Snapshots, "image@version", AvroContracts.ActivitySnapshot, DefaultPartitions, Compacted: false),
        new(Profiles, "image@version", AvroContracts.SecurityProfile, DefaultPartitions, Compacted: true),
        new(Signals, "image@version", AvroContracts.SecuritySignal, DefaultPartitions, Compacted: false),
        new(SignalsEnriched, "image@version", AvroContracts.EnrichedSignal, DefaultPartitions, Compacted: false),
        new(Suppressions, "suppression id", AvroContracts.Suppression, DefaultPartitions, Compacted: true),
        new(Containers, "container id", AvroContracts.ContainerInfo, DefaultPartitions, Compacted: true),
        new(DeadLetter, "source topic", AvroContracts.DeadLetter, DefaultPartitions, Compacted: false),
    ];

    /// <summary>The topic named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Not a pipeline topic.</exception>
    public static TopicContract Get(string name) =>
        All.FirstOrDefault(t => t.Name == name) ?? throw new ArgumentException($"'{name}' is not a pipeline topic", nameof(name));

    /// <summary>The one topic whose values are <typeparamref name="T"/>.</summary>
    /// <exception cref="ArgumentException">No topic carries <typeparamref name="T"/> (e.g. a bare RawEvent).</exception>
    public static TopicContract Of<T>() =>
        All.SingleOrDefault(t => t.ValueType == typeof(T)) ?? throw new ArgumentException($"No pipeline topic carries {typeof(T).Name} values");

    /// <summary>Schema registry subject of a topic's values: <c>&lt;topic&gt;-value</c>.</summary>
    public static string ValueSubject(string topic) => $"{topic}-value";
}
