using ClickHouse.Driver.ADO;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary><see cref="ClickHouseDatabase.DropIfExistsAsync"/> against the real local ClickHouse.</summary>
public sealed class DropTests
{
    [Fact]
    public async Task A_drop_that_outlasts_the_client_timeout_is_waited_for_until_the_database_is_gone()
    {
        await LocalClickHouse.EnsureRunningAsync();
        var name = $"wp_drop_{Guid.NewGuid():N}"[..20];
        using var owner = new ClickHouseDatabase(LocalClickHouse.ConnectionString, name);
        await owner.CreateIfMissingAsync();
        await owner.ExecuteAsync("CREATE TABLE held (x UInt8) ENGINE = MergeTree ORDER BY x");
        await owner.ExecuteAsync("INSERT INTO held VALUES (1)");
        try
        {
            // A query holding the table for 3 s, which the DROP has to wait for: longer than the impatient client's 1 s.
            var holding = owner.ScalarTextAsync("SELECT sleep(3) FROM held");
            await Poll.UntilAsync(async () => await owner.ScalarTextAsync(
                "SELECT count() FROM system.processes WHERE query LIKE 'SELECT sleep(3) FROM held%'") != "0",
                TimeSpan.FromSeconds(30), "the holding query running");
            var impatient = new ClickHouseConnectionStringBuilder(LocalClickHouse.ConnectionString) { Timeout = TimeSpan.FromSeconds(1) };
            using var dropper = new ClickHouseDatabase(impatient.ConnectionString, name);

            await dropper.DropIfExistsAsync();

            Assert.False(await owner.ExistsAsync());
            await holding;
        }
        finally
        {
            await owner.DropIfExistsAsync();
        }
    }
}
