using WorkloadProfiles.Contracts;

namespace WorkloadProfiles.Sink;

/// <summary>Configuration section <c>Sink</c> (environment: <c>WP_Sink__MaxBatchRecords</c>, <c>WP_Sink__Topics__Snapshots</c>, …).</summary>
public sealed class SinkOptions
{
    public const string SectionName = "Sink";

    /// <summary>Kafka consumer group; its committed offsets are the sink's progress.</summary>
    public string GroupId { get; set; } = "wp-clickhouse-sink";

    /// <summary>A batch is written once it holds this many records…</summary>
    public int MaxBatchRecords { get; set; } = 5_000;

    /// <summary>…or this many ClickHouse rows (a profile or snapshot record expands into one row per node)…</summary>
    public int MaxBatchRows { get; set; } = 200_000;

    /// <summary>…or its first record has waited this long.</summary>
    public int LingerMs { get; set; } = 500;

    /// <summary>
    /// A batch's rows of one table go to ClickHouse as up to this many INSERTs side by side (each of at least 10,000 rows;
    /// a batch's tables are always inserted side by side). ClickHouse handles an INSERT on one thread; 1 sends one INSERT
    /// per table and batch.
    /// </summary>
    public int InsertConcurrency { get; set; } = 2;

    /// <summary>First wait after a failed insert; doubles per attempt up to <see cref="RetryMaxBackoffMs"/>.</summary>
    public int RetryInitialBackoffMs { get; set; } = 200;

    /// <summary>Longest wait between insert attempts while ClickHouse is unavailable (retries never give up: nothing is lost).</summary>
    public int RetryMaxBackoffMs { get; set; } = 5_000;

    /// <summary>Apply the schema migrations at start-up.</summary>
    public bool Migrate { get; set; } = true;

    public SinkTopicNames Topics { get; set; } = new();

    /// <summary>Port of the Prometheus <c>/metrics</c> endpoint of <c>wp-sink run</c>; 0 turns it off.</summary>
    public int MetricsPort { get; set; } = 9465;

    /// <summary>Address the metrics endpoint listens on.</summary>
    public string MetricsAddress { get; set; } = "127.0.0.1";

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(GroupId)) throw new InvalidOperationException("Sink:GroupId (WP_Sink__GroupId) is empty.");
        if (MaxBatchRecords <= 0) throw new InvalidOperationException("Sink:MaxBatchRecords must be positive.");
        if (MaxBatchRows <= 0) throw new InvalidOperationException("Sink:MaxBatchRows must be positive.");
        if (LingerMs < 0) throw new InvalidOperationException("Sink:LingerMs must not be negative.");
        if (InsertConcurrency is < 1 or > 16) throw new InvalidOperationException("Sink:InsertConcurrency must be 1 to 16.");
        if (RetryInitialBackoffMs <= 0 || RetryMaxBackoffMs < RetryInitialBackoffMs)
        {
            throw new InvalidOperationException("Sink:RetryInitialBackoffMs must be positive and at most Sink:RetryMaxBackoffMs.");
        }
    }
}

/// <summary>The topics the sink reads and the one it dead-letters to; tests point them at topics of their own.</summary>
public sealed class SinkTopicNames
{
    public string Snapshots { get; set; } = Contracts.Topics.Snapshots;
    public string Profiles { get; set; } = Contracts.Topics.Profiles;
    public string SignalsEnriched { get; set; } = Contracts.Topics.SignalsEnriched;
    public string Suppressions { get; set; } = Contracts.Topics.Suppressions;
    public string Containers { get; set; } = Contracts.Topics.Containers;
    public string DeadLetter { get; set; } = Contracts.Topics.DeadLetter;
}
