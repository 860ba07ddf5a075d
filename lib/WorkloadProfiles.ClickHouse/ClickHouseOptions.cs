namespace WorkloadProfiles.ClickHouse;

/// <summary>
/// Configuration section <c>ClickHouse</c> (environment: <c>WP_ClickHouse__ConnectionString</c>, …).
/// </summary>
public sealed class ClickHouseOptions
{
    public const string SectionName = "ClickHouse";

    /// <summary>
    /// The local development server started by <c>local/clickhouse/clickhouse.sh</c>. <c>JsonReadMode=None;JsonWriteMode=None</c>
    /// keep ClickHouse.Driver from sending JSON-type settings that 18.16 does not know.
    /// </summary>
    public const string DefaultConnectionString =
        "Host=127.0.0.1;Port=18123;Protocol=http;Username=default;Password=;Database=workloadprofiles;" +
        "Compression=true;Timeout=30;JsonReadMode=None;JsonWriteMode=None";

    /// <summary>ClickHouse.Driver connection string; its <c>Database</c> is the database the project owns.</summary>
    public string ConnectionString { get; set; } = DefaultConnectionString;

    /// <summary>Compress insert bodies with gzip (18.16 does not accept the driver's default zstd request encoding).</summary>
    public bool CompressInserts { get; set; } = true;

    /// <summary>How long a process waits at start-up for the server to answer before it exits 3 (prerequisite missing).</summary>
    public double StartupTimeoutSeconds { get; set; } = 30;

    /// <summary>The message for a server that did not answer: where, for how long, why, and which key sets it.</summary>
    public static string Unreachable(string endpoint, TimeSpan timeout, string reason) =>
        $"cannot reach ClickHouse at {endpoint} within {timeout.TotalSeconds:0} s ({reason}); is the server running? " +
        "(ClickHouse:ConnectionString, WP_ClickHouse__ConnectionString; locally: local/clickhouse/clickhouse.sh start)";
}
