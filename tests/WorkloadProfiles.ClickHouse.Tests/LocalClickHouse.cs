using System.Diagnostics;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>
/// The real local ClickHouse the integration tests run against: the server at WP_ClickHouse__ConnectionString (default:
/// the project's local server), started with <c>local/clickhouse/clickhouse.sh start</c> when it does not answer.
/// </summary>
public static class LocalClickHouse
{
    private static readonly SemaphoreSlim StartLock = new(1, 1);

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("WP_ClickHouse__ConnectionString") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : ClickHouseOptions.DefaultConnectionString;

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException($"No WorkloadProfiles.sln above {AppContext.BaseDirectory}.");
        }
    }

    public static string Script => Path.Combine(RepositoryRoot, "local", "clickhouse", "clickhouse.sh");

    public static async Task EnsureRunningAsync()
    {
        await StartLock.WaitAsync();
        try
        {
            using var probe = new ClickHouseDatabase(ConnectionString, "default");
            if (await probe.PingAsync()) return;
            await RunScriptAsync("start");
        }
        finally
        {
            StartLock.Release();
        }
    }

    /// <summary>Runs <c>clickhouse.sh start|stop|status</c> and fails with its output when it exits non-zero.</summary>
    public static async Task<string> RunScriptAsync(string verb)
    {
        using var process = Process.Start(new ProcessStartInfo(Script, verb)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"clickhouse.sh {verb} exited with {process.ExitCode}:\n{output}");
        }
        return output;
    }
}

/// <summary>
/// A database of its own for one test class (class fixture), created empty on the local server and dropped afterwards,
/// so test classes never see each other's rows.
/// </summary>
public class DatabaseFixture : IAsyncLifetime
{
    public DatabaseFixture() => Database = new ClickHouseDatabase(LocalClickHouse.ConnectionString, $"wp_test_{Guid.NewGuid():N}"[..24]);

    public ClickHouseDatabase Database { get; }

    public virtual async Task InitializeAsync()
    {
        await LocalClickHouse.EnsureRunningAsync();
        await Database.DropIfExistsAsync();
        await Database.CreateIfMissingAsync();
    }

    public virtual async Task DisposeAsync()
    {
        try
        {
            await Database.DropIfExistsAsync();
        }
        finally
        {
            Database.Dispose();
        }
    }
}

/// <summary>A <see cref="DatabaseFixture"/> with every migration applied.</summary>
public class MigratedDatabaseFixture : DatabaseFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await new Migrations.Migrator(Database).MigrateAsync();
    }
}
