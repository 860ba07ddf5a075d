using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.ClickHouse.Tests;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Sink.Tests;

/// <summary>A table's rows of one batch written by <see cref="RowWriter"/> to the real local ClickHouse.</summary>
public sealed class RowWriterTests : IAsyncLifetime
{
    private const int Rows = 25_000;
    private readonly ClickHouseDatabase database = new(LocalClickHouse.ConnectionString, $"wp_rows_{Guid.NewGuid():N}"[..20]);

    public async Task InitializeAsync()
    {
        await LocalClickHouse.EnsureRunningAsync();
        await database.DropIfExistsAsync();
        await new Migrator(database).MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        await database.DropIfExistsAsync();
        database.Dispose();
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(8, 2)] // 25,000 rows hold only two parts of at least 10,000 rows
    public async Task A_tables_rows_go_as_up_to_InsertConcurrency_inserts_of_at_least_the_minimum_and_all_arrive(int concurrency, int inserts)
    {
        var metrics = new SinkMetrics();
        using var rows = Containers(Rows);

        var rejected = await Writer(concurrency, metrics).WriteAsync(rows, _ => true, CancellationToken.None);

        Assert.Empty(rejected);
        Assert.Equal(inserts, metrics.Inserts);
        Assert.Equal(Rows, metrics.RowsInserted);
        Assert.Equal(Rows.ToString(System.Globalization.CultureInfo.InvariantCulture),
            await database.ScalarTextAsync("SELECT count() FROM containers FINAL"));
    }

    [Fact]
    public async Task A_table_left_without_rows_sends_nothing()
    {
        var metrics = new SinkMetrics();
        using var rows = Containers(0);

        Assert.Empty(await Writer(2, metrics).WriteAsync(rows, _ => true, CancellationToken.None));
        Assert.Equal(0, metrics.Inserts);
    }

    [Fact]
    public async Task A_refused_row_in_one_of_the_concurrent_inserts_is_isolated_and_every_other_row_arrives()
    {
        // A guard column makes the server refuse one specific row, as a real constraint violation would.
        await database.ExecuteAsync("ALTER TABLE containers ADD COLUMN guard UInt8 MATERIALIZED throwIf(name = 'poison')");
        var metrics = new SinkMetrics();
        const int poison = 17_321; // in the second of the two inserts
        using var rows = Containers(Rows, poison);

        var rejected = await Writer(2, metrics).WriteAsync(rows, _ => true, CancellationToken.None);

        var refused = Assert.Single(rejected);
        Assert.Equal(poison, refused.Record.Offset.Value);
        Assert.Contains("throwIf", refused.Detail, StringComparison.Ordinal);
        Assert.Equal(1, metrics.RowsRejected);
        Assert.Equal(Rows - 1, metrics.RowsInserted);
        Assert.Equal((Rows - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            await database.ScalarTextAsync("SELECT count() FROM containers FINAL"));
    }

    [Theory]
    [InlineData(19_999, 2, new[] { 19_999 })]
    [InlineData(20_000, 2, new[] { 10_000, 10_000 })]
    [InlineData(30_001, 3, new[] { 10_000, 10_000, 10_001 })]
    [InlineData(200_000, 2, new[] { 100_000, 100_000 })]
    [InlineData(200_000, 1, new[] { 200_000 })]
    [InlineData(0, 2, new[] { 0 })]
    public void Parts_cover_every_row_once_and_none_is_under_the_minimum_unless_it_is_the_only_one(int count, int concurrency, int[] sizes)
    {
        var parts = RowWriter.Parts(count, concurrency);

        Assert.Equal(sizes, parts.Select(p => p.Count));
        Assert.Equal(Enumerable.Range(0, parts.Count).Select(i => sizes.Take(i).Sum()), parts.Select(p => p.Start));
    }

    private RowWriter Writer(int concurrency, SinkMetrics metrics) =>
        new(database, new SinkOptions { InsertConcurrency = concurrency }, metrics, NullLogger.Instance);

    /// <summary>One container row per record, at offsets 0 … <paramref name="count"/> − 1; the one at <paramref name="poison"/> is named so.</summary>
    private static BatchTableRows Containers(int count, int poison = -1)
    {
        var rows = new BatchTableRows(ContainersTable.Table);
        for (var offset = 0; offset < count; offset++)
        {
            var record = new ConsumeResult<byte[]?, byte[]?>
            {
                TopicPartitionOffset = new TopicPartitionOffset("containers", 0, offset),
                Message = new Message<byte[]?, byte[]?> { Value = [1] },
            };
            rows.Add(record, [ContainersTable.Row(new ContainerInfo
            {
                Container = new ContainerRef($"c-{offset:D5}", "nginx", "1.27"),
                Name = offset == poison ? "poison" : $"web-{offset}",
                HostName = "host-a",
                StartedAtUs = 1_700_000_000_000_000,
            })]);
        }
        return rows;
    }
}
