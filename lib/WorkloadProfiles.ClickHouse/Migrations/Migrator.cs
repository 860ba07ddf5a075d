using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace WorkloadProfiles.ClickHouse.Migrations;

/// <summary>What one <see cref="Migrator.MigrateAsync"/> run did.</summary>
public sealed record MigrationReport(
    ServerVersion ServerVersion,
    IReadOnlyList<Migration> Applied,
    IReadOnlyList<Migration> AlreadyApplied,
    IReadOnlyList<Migration> SkippedForServerVersion)
{
    /// <summary>The <c>*_latest</c> views this run created or re-created (their table's columns changed).</summary>
    public IReadOnlyList<string> ViewsRefreshed { get; init; } = [];
}

/// <summary>
/// Brings a database to the latest schema: creates it if missing, applies every migration not yet recorded in
/// <c>schema_migrations</c> in version order, and records each one after all its statements succeeded.
/// Safe to run repeatedly and from several processes: every statement is idempotent (CREATE … IF NOT EXISTS), and a
/// migration recorded twice collapses in the ReplacingMergeTree. Production-only migrations whose minimum server
/// version the server does not reach are skipped and not recorded, so they run once the server is upgraded.
/// Last, the <see cref="LatestViews"/> are brought in line with the tables' columns.
/// </summary>
public sealed class Migrator
{
    public const string HistoryTable = "schema_migrations";

    private readonly ClickHouseDatabase database;
    private readonly IReadOnlyList<Migration> migrations;
    private readonly ILogger logger;

    public Migrator(ClickHouseDatabase database, IReadOnlyList<Migration>? migrations = null, ILogger<Migrator>? logger = null)
    {
        this.database = database;
        this.migrations = (migrations ?? Migration.LoadEmbedded()).OrderBy(m => m.Version).ToList();
        this.logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// The migrations this server should have and the database has not recorded (production-only ones the server is too
    /// old for do not count); empty when the schema is current. For health checks: no DDL, no database creation.
    /// </summary>
    public async Task<IReadOnlyList<Migration>> PendingAsync(CancellationToken cancellationToken = default)
    {
        var serverVersion = await database.GetServerVersionAsync(cancellationToken);
        var exists = await database.ScalarTextAsync(
            $"SELECT count() FROM system.tables WHERE database = {ClickHouseLiteral.String(database.Name)} AND name = {ClickHouseLiteral.String(HistoryTable)}",
            cancellationToken);
        var recorded = exists.Trim() == "0"
            ? new HashSet<int>()
            : (await database.QueryListAsync<AppliedMigration>(
                    $"SELECT version, argMax(checksum, applied_at) AS checksum FROM {ClickHouseLiteral.Identifier(HistoryTable)} GROUP BY version",
                    cancellationToken))
                .Select(m => m.Version).ToHashSet();
        return migrations.Where(m => !recorded.Contains(m.Version) && (m.MinServerVersion is not { } minimum || serverVersion >= minimum)).ToList();
    }

    public async Task<MigrationReport> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var serverVersion = await database.GetServerVersionAsync(cancellationToken);
        await database.CreateIfMissingAsync(cancellationToken);
        await database.ExecuteAsync(
            $"""
            CREATE TABLE IF NOT EXISTS {ClickHouseLiteral.Identifier(HistoryTable)}
            (
                version    UInt32,
                name       String,
                checksum   String,
                applied_at DateTime('UTC')
            )
            ENGINE = ReplacingMergeTree(applied_at)
            ORDER BY version
            """, cancellationToken);

        var recorded = (await database.QueryListAsync<AppliedMigration>(
                $"SELECT version, argMax(checksum, applied_at) AS checksum FROM {ClickHouseLiteral.Identifier(HistoryTable)} GROUP BY version",
                cancellationToken))
            .ToDictionary(m => m.Version, m => m.Checksum);

        var applied = new List<Migration>();
        var alreadyApplied = new List<Migration>();
        var skipped = new List<Migration>();
        foreach (var migration in migrations)
        {
            if (recorded.TryGetValue(migration.Version, out var checksum))
            {
                if (checksum != migration.Checksum)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Version:000}_{migration.Name} was changed after it was applied to database '{database.Name}' " +
                        $"(recorded checksum {checksum}, file {migration.Checksum}). Add a new migration instead of editing an applied one.");
                }
                alreadyApplied.Add(migration);
                continue;
            }
            if (migration.MinServerVersion is { } minimum && serverVersion < minimum)
            {
                logger.LogInformation(
                    "Skipping production-only migration {Version:000}_{Name}: server {ServerVersion} is older than {Minimum}",
                    migration.Version, migration.Name, serverVersion, minimum);
                skipped.Add(migration);
                continue;
            }
            await ApplyAsync(migration, cancellationToken);
            applied.Add(migration);
        }
        var views = await LatestViews.EnsureAsync(database, cancellationToken);
        return new MigrationReport(serverVersion, applied, alreadyApplied, skipped) { ViewsRefreshed = views };
    }

    private async Task ApplyAsync(Migration migration, CancellationToken cancellationToken)
    {
        logger.LogInformation("Applying migration {Version:000}_{Name} to {Database}", migration.Version, migration.Name, database.Name);
        foreach (var statement in migration.Statements)
        {
            try
            {
                await database.ExecuteAsync(statement, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && IsColumnAlreadyAdded(statement, ex))
            {
                // 18.16 has no ADD COLUMN IF NOT EXISTS: an ALTER that ran before a crash kept the migration unrecorded.
                logger.LogInformation("Migration {Version:000}_{Name}: the columns of an ALTER already exist; counted as applied",
                    migration.Version, migration.Name);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"Migration {migration.Version:000}_{migration.Name} failed on database '{database.Name}': {ex.Message}", ex);
            }
        }
        await database.ExecuteAsync(
            $"INSERT INTO {ClickHouseLiteral.Identifier(HistoryTable)} (version, name, checksum, applied_at) VALUES " +
            $"({ClickHouseLiteral.Number(migration.Version)}, {ClickHouseLiteral.String(migration.Name)}, " +
            $"{ClickHouseLiteral.String(migration.Checksum)}, now())",
            cancellationToken);
    }

    /// <summary>ClickHouse error 44 (DUPLICATE_COLUMN) on an <c>ALTER TABLE … ADD COLUMN</c>.</summary>
    private static bool IsColumnAlreadyAdded(string statement, Exception error) =>
        statement.TrimStart().StartsWith("ALTER TABLE", StringComparison.OrdinalIgnoreCase)
        && statement.Contains("ADD COLUMN", StringComparison.OrdinalIgnoreCase)
        && error.Message.Contains("Code: 44", StringComparison.Ordinal);

    private sealed record AppliedMigration(int Version, string Checksum);
}
