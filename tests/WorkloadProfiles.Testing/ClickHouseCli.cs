namespace WorkloadProfiles.Testing;

/// <summary>
/// Debian's <c>clickhouse-client</c> against the local server's native port, as analysts run the files of
/// <c>sql/queries/</c>: a separate process reading the SQL text from standard input.
/// </summary>
public static class ClickHouseCli
{
    /// <summary>Native port of the local server (<c>WP_CLICKHOUSE_TCP_PORT</c>, default 19000).</summary>
    public static string Port => Environment.GetEnvironmentVariable("WP_CLICKHOUSE_TCP_PORT") ?? "19000";

    /// <summary>Runs <paramref name="sql"/> in <paramref name="database"/>; the output is tab-separated with a header line.</summary>
    public static Task<CommandResult> RunAsync(string database, string sql, TimeSpan? timeout = null) =>
        ExternalCommand.RunAsync("clickhouse-client",
            ["--host", "127.0.0.1", "--port", Port, "--database", database, "--multiquery", "--format", "TabSeparatedWithNames"],
            [sql], timeout ?? TimeSpan.FromSeconds(60));
}
