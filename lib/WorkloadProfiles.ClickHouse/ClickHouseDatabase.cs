using System.Runtime.CompilerServices;
using System.Text.Json;
using ClickHouse.Driver;
using ClickHouse.Driver.ADO;
using ClickHouse.Driver.Compression;

namespace WorkloadProfiles.ClickHouse;

/// <summary>
/// The project's database on one ClickHouse server, over ClickHouse.Driver's HTTP client, shaped by what 18.16 accepts:
/// reads are raw <c>FORMAT JSONEachRow</c> results streamed into typed rows, writes are RowBinary with explicit column
/// types (no schema probe) and gzip bodies — rows through <c>InsertBinaryAsync</c>, or rows already encoded
/// (<see cref="RowBinaryRows"/>, the sink's path) — and literals come from <see cref="ClickHouseLiteral"/>.
/// Thread-safe; create one per database and reuse it.
/// </summary>
public sealed class ClickHouseDatabase : IDisposable
{
    /// <summary>The database every server has; used only to create or drop <see cref="Name"/>.</summary>
    private const string BootstrapDatabase = "default";

    private readonly ClickHouseClient client;
    private readonly IClickHouseCompressor? insertCompressor;
    private readonly JsonSerializerOptions jsonOptions;

    /// <param name="connectionString">ClickHouse.Driver connection string; its Database is used unless <paramref name="database"/> is given.</param>
    /// <param name="database">Overrides the connection string's database (tests use one database per class).</param>
    public ClickHouseDatabase(string connectionString, string? database = null, bool compressInserts = true)
    {
        var builder = new ClickHouseConnectionStringBuilder(connectionString);
        Name = database ?? builder.Database;
        if (string.IsNullOrEmpty(Name)) throw new ArgumentException("The connection string names no Database and none was given.", nameof(database));
        // The client itself stays on a database that always exists, so the project database can be created through it;
        // every call below names the project database in its options.
        Endpoint = $"{builder.Protocol}://{builder.Host}:{builder.Port}";
        builder.Database = BootstrapDatabase;
        client = new ClickHouseClient(builder.ConnectionString);
        insertCompressor = compressInserts ? GZipCompressor.Default : null;
        jsonOptions = JsonEachRow.CreateSerializerOptions();
    }

    public ClickHouseDatabase(ClickHouseOptions options, string? database = null)
        : this(options.ConnectionString, database, options.CompressInserts)
    {
    }

    /// <summary>The database name (unquoted).</summary>
    public string Name { get; }

    /// <summary>Where the server is, e.g. <c>http://127.0.0.1:18123</c>, for messages.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// Pings until the server answers or <paramref name="timeout"/> passes; null when it answered, else why not
    /// (e.g. "Connection refused (127.0.0.1:18123)").
    /// </summary>
    public async Task<string?> ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        string reason;
        do
        {
            try
            {
                if (await client.PingAsync(cancellationToken: cancellationToken)) return null;
                reason = "the server did not answer the ping";
            }
            catch (HttpRequestException e)
            {
                reason = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                reason = "the ping timed out";
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
        while (DateTime.UtcNow < deadline);

        return reason;
    }

    /// <summary>The underlying driver client, for calls this type does not wrap.</summary>
    public ClickHouseClient Client => client;

    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await client.PingAsync(cancellationToken: cancellationToken);
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public async Task<ServerVersion> GetServerVersionAsync(CancellationToken cancellationToken = default)
    {
        var text = await ScalarTextAsync("SELECT version()", BootstrapDatabase, cancellationToken);
        return ServerVersion.Parse(text);
    }

    public Task CreateIfMissingAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync($"CREATE DATABASE IF NOT EXISTS {ClickHouseLiteral.Identifier(Name)}", BootstrapDatabase, cancellationToken);

    /// <summary>
    /// Drops the database. A DROP waits for every query on its tables and can outlast the client's timeout; the server goes
    /// on with it regardless, so after a client timeout this waits (up to <see cref="DropWait"/>) for the database to be gone.
    /// </summary>
    public async Task DropIfExistsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS {ClickHouseLiteral.Identifier(Name)}", BootstrapDatabase, cancellationToken);
            return;
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            // The DROP is still running on the server.
        }

        var deadline = DateTime.UtcNow + DropWait;
        while (await ExistsAsync(cancellationToken))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"DROP DATABASE {Name} on {Endpoint} has not finished after {DropWait.TotalMinutes:0} minutes: " +
                    "a query on its tables still holds them (see system.processes).");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>How long <see cref="DropIfExistsAsync"/> waits for a DROP that outlasted the client's timeout.</summary>
    public static TimeSpan DropWait { get; } = TimeSpan.FromMinutes(5);

    public async Task<bool> ExistsAsync(CancellationToken cancellationToken = default) =>
        await ScalarTextAsync($"SELECT count() FROM system.databases WHERE name = {ClickHouseLiteral.String(Name)}",
            BootstrapDatabase, cancellationToken) != "0";

    /// <summary>Runs one statement (DDL, INSERT … SELECT, OPTIMIZE …) in this database.</summary>
    public Task ExecuteAsync(string sql, CancellationToken cancellationToken = default) =>
        ExecuteAsync(sql, Name, cancellationToken);

    /// <summary>
    /// Runs a SELECT in this database and streams its rows as <typeparamref name="T"/>. The statement must not carry a
    /// FORMAT clause: <c>FORMAT JSONEachRow</c> is appended. Columns bind to properties by snake_case name; 64-bit integers
    /// (quoted by the server) and <c>DateTime</c> text are accepted. Bytes that are not UTF-8 in a String column read as U+FFFD.
    /// </summary>
    public async IAsyncEnumerable<T> QueryAsync<T>(string sql, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var result = await client.ExecuteRawResultAsync(
            sql.TrimEnd().TrimEnd(';') + "\nFORMAT JSONEachRow", Options(Name), cancellationToken);
        var stream = await result.ReadDecompressedStreamAsync();
        await foreach (var row in JsonEachRow.ReadAsync<T>(stream, jsonOptions, sql, cancellationToken))
        {
            yield return row;
        }
    }

    /// <summary>All rows of a SELECT, for small results.</summary>
    public async Task<IReadOnlyList<T>> QueryListAsync<T>(string sql, CancellationToken cancellationToken = default)
    {
        var rows = new List<T>();
        await foreach (var row in QueryAsync<T>(sql, cancellationToken)) rows.Add(row);
        return rows;
    }

    /// <summary>The first column of the first row as text (TSV unescaping is not applied: use it for numbers and names).</summary>
    public Task<string> ScalarTextAsync(string sql, CancellationToken cancellationToken = default) =>
        ScalarTextAsync(sql, Name, cancellationToken);

    /// <summary>
    /// Inserts rows through <c>InsertBinaryAsync</c> (RowBinary) with the table's explicit column types, so the driver
    /// never probes the schema with formats 18.16 lacks. Values must match <see cref="ClickHouseTable.Columns"/> in order.
    /// </summary>
    public Task<long> InsertAsync(ClickHouseTable table, IEnumerable<object?[]> rows, CancellationToken cancellationToken = default)
    {
        var options = new InsertOptions
        {
            Database = Name,
            ColumnTypes = table.ColumnTypes,
            Compressor = insertCompressor,
        };
        return client.InsertBinaryAsync(ClickHouseLiteral.Identifier(table.Name), table.ColumnNames, rows!, options, cancellationToken);
    }

    /// <summary>
    /// Inserts rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> of rows already encoded
    /// (<see cref="RowBinaryRows"/>) as one <c>INSERT … FORMAT RowBinary</c>, gzipped like <see cref="InsertAsync(ClickHouseTable, IEnumerable{object?[]}, CancellationToken)"/>.
    /// </summary>
    /// <returns>The number of rows sent.</returns>
    public async Task<long> InsertAsync(RowBinaryRows rows, int start, int count, CancellationToken cancellationToken = default)
    {
        var bytes = rows.Slice(start, count);
        if (count == 0) return 0;
        using var body = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
        using var response = await client.InsertRawStreamAsync(ClickHouseLiteral.Identifier(rows.Table.Name), body, "RowBinary",
            rows.Table.ColumnNames, useCompression: insertCompressor is not null, Options(Name), cancellationToken);
        return count;
    }

    public void Dispose() => client.Dispose();

    /// <summary>The driver's HttpClient does not decompress; the raw result does it on request.</summary>
    private static async Task<string> ReadAllTextAsync(ClickHouseRawResult result, CancellationToken cancellationToken)
    {
        var stream = await result.ReadDecompressedStreamAsync();
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static QueryOptions Options(string database) => new() { Database = database };

    private async Task ExecuteAsync(string sql, string database, CancellationToken cancellationToken)
    {
        // A raw result drained to the end, so a server error that arrives after the headers still surfaces here.
        using var result = await client.ExecuteRawResultAsync(sql, Options(database), cancellationToken);
        var body = await ReadAllTextAsync(result, cancellationToken);
        JsonEachRow.ThrowIfServerError(body, sql);
    }

    private async Task<string> ScalarTextAsync(string sql, string database, CancellationToken cancellationToken)
    {
        using var result = await client.ExecuteRawResultAsync(sql.TrimEnd().TrimEnd(';') + "\nFORMAT TSV", Options(database), cancellationToken);
        var text = await ReadAllTextAsync(result, cancellationToken);
        JsonEachRow.ThrowIfServerError(text, sql);
        var end = text.IndexOfAny(['\t', '\n']);
        return end < 0 ? text : text[..end];
    }
}
