using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Operations;

namespace WorkloadProfiles.Explorer;

/// <summary>
/// What <c>/healthz</c> says: healthy when ClickHouse answers and every migration is applied (the explorer reads the
/// migrated schema and the <c>*_latest</c> views; before the sink migrated, it would answer with errors). Asked at most
/// every two seconds, so probes do not load the database.
/// </summary>
internal sealed class ExplorerHealth(ClickHouseDatabase database, TimeProvider clock)
{
    private static readonly TimeSpan CacheTime = TimeSpan.FromSeconds(2);
    private volatile Checked? last;

    public async Task<Health> CheckAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (last is { } known && now - known.At < CacheTime) return known.Health;
        var health = await ProbeAsync(cancellationToken);
        last = new Checked(health, now);
        return health;
    }

    private async Task<Health> ProbeAsync(CancellationToken cancellationToken)
    {
        if (!await database.PingAsync(cancellationToken)) return Health.Down($"ClickHouse at {database.Endpoint} does not answer");
        try
        {
            var pending = await new Migrator(database).PendingAsync(cancellationToken);
            return pending.Count == 0
                ? Health.Up("ok")
                : Health.Down($"waiting for migrations of database '{database.Name}': {string.Join(", ", pending.Select(m => $"{m.Version:000}_{m.Name}"))}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Health.Down($"database '{database.Name}' is not migrated yet: {e.Message}");
        }
    }

    private sealed record Checked(Health Health, DateTimeOffset At);
}
