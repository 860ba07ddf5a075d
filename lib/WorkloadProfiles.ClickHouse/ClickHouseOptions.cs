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
}
