using ClickHouse.Driver;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>
/// Rows encoded by <see cref="RowBinaryRows"/> (what the sink inserts) read back exactly as the same rows inserted through
/// ClickHouse.Driver's own RowBinary serializer, for every table; bad values are refused without leaving half a row.
/// </summary>
public sealed class RowBinaryRowsTests(MigratedDatabaseFixture fixture) : IClassFixture<MigratedDatabaseFixture>
{
    /// <summary>The sample warehouse's rows plus values at the edges: non-ASCII and invalid UTF-16, empty strings, extremes.</summary>
    private static IReadOnlyList<(ClickHouseTable Table, IReadOnlyList<object?[]> Rows)> Rows()
    {
        var container = SampleWarehouse.Containers[0];
        var odd = container with
        {
            Container = container.Container with { Id = "odd-é-\uD800-日本", ImageName = "", ImageTag = "x\ty\nz\\" },
            Name = new string('n', 300),
            StartedAtUs = uint.MaxValue * 1_000_000L + 999_999, // the last second a DateTime holds
            ProfilingSinceUs = null,
            ExitedAtUs = long.MinValue,
            CgroupId = ulong.MaxValue,
            State = ContainerState.Exited,
        };
        return
        [
            (ProfilesTable.Table, [.. SampleWarehouse.Profiles.Select(ProfilesTable.Row)]),
            (ProfileNodesTable.Table, [.. SampleWarehouse.Profiles.SelectMany(ProfileNodesTable.Rows)]),
            (SnapshotsTable.Table, [.. SampleWarehouse.Snapshots.Select(SnapshotsTable.Row)]),
            (SnapshotNodesTable.Table, [.. SampleWarehouse.Snapshots.SelectMany(SnapshotNodesTable.Rows)]),
            (EnrichedSignalsTable.Table, [.. SampleWarehouse.Signals.Select(EnrichedSignalsTable.Row)]),
            (SuppressionsTable.Table, [.. SampleWarehouse.Suppressions.Select(SuppressionsTable.Row)]),
            (ContainersTable.Table, [.. SampleWarehouse.Containers.Append(odd).Select(ContainersTable.Row)]),
        ];
    }

    [Fact]
    public async Task Every_table_reads_back_the_same_through_encoded_rows_as_through_the_driver()
    {
        using var driver = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_driver");
        using var encoded = new ClickHouseDatabase(LocalClickHouse.ConnectionString, fixture.Database.Name + "_encoded");
        try
        {
            foreach (var database in new[] { driver, encoded })
            {
                await database.DropIfExistsAsync();
                await new Migrations.Migrator(database).MigrateAsync();
            }
            foreach (var (table, rows) in Rows())
            {
                await driver.InsertAsync(table, rows);
                using var bytes = new RowBinaryRows(table);
                foreach (var row in rows) bytes.Add(row);
                // In two inserts, as the sink's bisection sends runs of a batch.
                var half = rows.Count / 2;
                Assert.Equal(half, await encoded.InsertAsync(bytes, 0, half));
                Assert.Equal(rows.Count - half, await encoded.InsertAsync(bytes, half, rows.Count - half));
            }

            foreach (var (table, rows) in Rows())
            {
                var select = $"SELECT * FROM {table.Name} ORDER BY {string.Join(", ", table.ColumnNames)} FORMAT TSV";
                var expected = await TextAsync(driver, select);
                Assert.Equal(rows.Count, expected.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
                Assert.Equal(expected, await TextAsync(encoded, select));
            }
        }
        finally
        {
            await driver.DropIfExistsAsync();
            await encoded.DropIfExistsAsync();
        }
    }

    [Fact]
    public void A_value_its_column_cannot_hold_is_refused_and_leaves_no_part_of_the_row()
    {
        var container = ContainersTable.Row(SampleWarehouse.Containers[0]);
        using var rows = new RowBinaryRows(ContainersTable.Table);
        rows.Add(container);
        var length = rows.Length;

        var wrongType = (object?[])container.Clone();
        wrongType[^1] = "not a number";
        var missing = (object?[])container.Clone();
        missing[0] = null;

        foreach (var bad in new[] { wrongType, missing, container[..^1] })
        {
            Assert.Throws<ColumnValueException>(() => rows.Add(bad));
            Assert.Equal(1, rows.Count);
            Assert.Equal(length, rows.Length);
        }
        rows.Add(container);
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows.Slice(0, 1).AsSpan().ToArray(), rows.Slice(1, 1).AsSpan().ToArray());
    }

    [Fact]
    public void Truncating_drops_the_last_rows_and_slices_address_rows_by_index()
    {
        using var rows = new RowBinaryRows(ContainersTable.Table);
        var encoded = new List<byte[]>();
        foreach (var container in SampleWarehouse.Containers)
        {
            rows.Add(ContainersTable.Row(container));
            encoded.Add(rows.Slice(rows.Count - 1, 1).AsSpan().ToArray());
        }

        Assert.Equal(encoded.SelectMany(b => b), rows.Slice(0, rows.Count).AsSpan().ToArray());
        Assert.Equal(encoded.Skip(1).SelectMany(b => b), rows.Slice(1, rows.Count - 1).AsSpan().ToArray());
        Assert.Equal(0, rows.Slice(1, 0).Count);

        rows.Truncate(1);
        Assert.Equal(1, rows.Count);
        Assert.Equal(encoded[0], rows.Slice(0, 1).AsSpan().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => rows.Slice(0, 2));
    }

    private static async Task<string> TextAsync(ClickHouseDatabase database, string sql)
    {
        using var result = await database.Client.ExecuteRawResultAsync(sql, new QueryOptions { Database = database.Name });
        using var reader = new StreamReader(await result.ReadDecompressedStreamAsync());
        return await reader.ReadToEndAsync();
    }
}
