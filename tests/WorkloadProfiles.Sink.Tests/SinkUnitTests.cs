using ClickHouse.Driver;
using Confluent.Kafka;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Sink.Tests;

public sealed class SinkBatchTests
{
    [Fact]
    public void Commit_offsets_are_one_past_the_last_record_of_each_partition()
    {
        var batch = new SinkBatch();
        Add(batch, "a", 0, 10);
        Add(batch, "a", 0, 11);
        Add(batch, "a", 1, 5);
        Add(batch, "b", 0, 0);

        Assert.Equal(
            ["a [[0]] @12", "a [[1]] @6", "b [[0]] @1"],
            batch.CommitOffsets().Select(o => o.ToString()).Order());
    }

    [Fact]
    public void Batch_is_due_by_records_rows_or_linger()
    {
        var options = new SinkOptions { MaxBatchRecords = 3, MaxBatchRows = 1_000, LingerMs = 60_000 };
        var batch = new SinkBatch();
        Assert.False(batch.IsDue(options));
        Add(batch, "a", 0, 0);
        Add(batch, "a", 0, 1);
        Assert.False(batch.IsDue(options));
        Add(batch, "a", 0, 2);
        Assert.True(batch.IsDue(options));

        Assert.True(batch.IsDue(new SinkOptions { MaxBatchRecords = 100, MaxBatchRows = 3, LingerMs = 60_000 }), "3 rows reach MaxBatchRows");
        Assert.True(batch.IsDue(new SinkOptions { MaxBatchRecords = 100, MaxBatchRows = 100, LingerMs = 0 }), "linger 0 flushes at once");
        batch.Clear();
        Assert.False(batch.IsDue(new SinkOptions { LingerMs = 0 }));
    }

    [Fact]
    public void A_full_batch_is_one_at_a_size_bound_not_by_linger()
    {
        var batch = new SinkBatch();
        Add(batch, "a", 0, 0);
        Assert.True(batch.IsDue(new SinkOptions { MaxBatchRecords = 3, LingerMs = 0 }));
        Assert.False(batch.IsFull(new SinkOptions { MaxBatchRecords = 3, LingerMs = 0 }), "due by linger, but room for more");
        Assert.True(batch.IsFull(new SinkOptions { MaxBatchRecords = 1 }));
        Assert.True(batch.IsFull(new SinkOptions { MaxBatchRows = 1 }));
    }

    [Fact]
    public void Taking_a_batch_for_its_write_leaves_an_empty_one_to_fill()
    {
        var batch = new SinkBatch();
        Add(batch, "a", 0, 7);
        Add(batch, "a", 0, 8);

        var taken = batch.TakeAll();
        Add(batch, "a", 0, 9);

        Assert.Equal(2, taken.RecordCount);
        Assert.Equal(2, taken.RowCount);
        Assert.Equal(["a [[0]] @9"], taken.CommitOffsets().Select(o => o.ToString()));
        Assert.Equal(1, batch.RecordCount);
        Assert.Equal(["a [[0]] @10"], batch.CommitOffsets().Select(o => o.ToString()));
    }

    [Fact]
    public void Rows_are_grouped_by_table_in_the_order_tables_first_appear_each_with_its_record()
    {
        var batch = new SinkBatch();
        var first = Result("a", 0, 0);
        var second = Result("a", 0, 1);
        batch.Add(first, [new TableRows(SuppressionsTable.Table, [Suppression("s1"), Suppression("s2")])]);
        batch.Add(second, [new TableRows(ContainersTable.Table, [Container("c1")]), new TableRows(SuppressionsTable.Table, [Suppression("s3")])]);

        var byTable = batch.RowsByTable();

        Assert.Equal([SuppressionsTable.Table, ContainersTable.Table], byTable.Select(t => t.Table));
        Assert.Equal([first, first, second], Enumerable.Range(0, 3).Select(byTable[0].RecordAt));
        Assert.Same(second, byTable[1].RecordAt(0));
        Assert.Equal([3, 1], byTable.Select(t => t.Encoded.Count));
        Assert.Equal(4, batch.RowCount);
        Assert.Equal(2, batch.RecordCount);
    }

    [Fact]
    public void A_record_with_a_row_that_cannot_be_encoded_adds_none_of_its_rows()
    {
        var batch = new SinkBatch();
        batch.Add(Result("a", 0, 0), [new TableRows(ContainersTable.Table, [Container("c1")])]);
        var unencodable = Container("c2");
        unencodable[0] = 42; // container_id is a String

        Assert.Throws<ColumnValueException>(() => batch.Add(Result("a", 0, 1),
            [new TableRows(SuppressionsTable.Table, [Suppression("s1")]), new TableRows(ContainersTable.Table, [Container("c3"), unencodable])]));

        Assert.Equal(1, batch.RowCount);
        Assert.Equal(1, batch.RecordCount);
        Assert.Equal([1, 0], batch.RowsByTable().Select(t => t.Encoded.Count));
        // Dead-lettered, the record still counts for the commit.
        batch.Add(Result("a", 0, 1));
        Assert.Equal(["a [[0]] @2"], batch.CommitOffsets().Select(o => o.ToString()));
    }

    private static ConsumeResult<byte[]?, byte[]?> Result(string topic, int partition, long offset) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(topic, partition, offset),
        Message = new Message<byte[]?, byte[]?> { Value = [1] },
    };

    private static object?[] Container(string id) => ContainersTable.Row(new ContainerInfo
    {
        Container = new ContainerRef(id, "nginx", "1.27"),
        HostName = "host-a",
        StartedAtUs = 1_700_000_000_000_000,
    });

    private static object?[] Suppression(string id) => SuppressionsTable.Row(new WorkloadProfiles.Domain.Signals.Suppression
    {
        Id = id, RuleId = "shell-in-container", ImageName = "nginx", NodeId = 1, Expression = "proc.name = sh",
    });

    private static void Add(SinkBatch batch, string topic, int partition, long offset) =>
        batch.Add(Result(topic, partition, offset), [new TableRows(ContainersTable.Table, [Container($"c{offset}")])]);
}

public sealed class RowWriterClassificationTests
{
    [Theory]
    [InlineData(241)] // MEMORY_LIMIT_EXCEEDED
    [InlineData(252)] // TOO_MANY_PARTS
    [InlineData(60)]  // UNKNOWN_TABLE: not migrated yet; never dead-letter a whole topic for it
    public void Server_errors_that_mean_not_now_are_retried(int code)
    {
        Assert.True(RowWriter.IsUnavailable(new ClickHouseServerException("boom", "INSERT", code)));
    }

    [Theory]
    [InlineData(395)] // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
    [InlineData(53)]  // TYPE_MISMATCH
    [InlineData(27)]  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    public void Server_errors_about_the_rows_are_rejections(int code)
    {
        Assert.False(RowWriter.IsUnavailable(new ClickHouseServerException("bad row", "INSERT", code)));
    }

    [Fact]
    public void Transport_failures_are_retried_even_when_wrapped()
    {
        Assert.True(RowWriter.IsUnavailable(new HttpRequestException("connection refused")));
        Assert.True(RowWriter.IsUnavailable(new InvalidOperationException("wrapper", new IOException("reset"))));
        Assert.False(RowWriter.IsUnavailable(new InvalidCastException("not a transport problem")));
    }
}

public sealed class SinkOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var options = new SinkOptions();
        options.Validate();
        Assert.Equal("wp.snapshots", options.Topics.Snapshots);
        Assert.Equal("wp.deadletter", options.Topics.DeadLetter);
    }

    [Theory]
    [InlineData(0, 1, 100, 200)]
    [InlineData(1, 0, 100, 200)]
    [InlineData(1, 1, 0, 200)]
    [InlineData(1, 1, 300, 200)]
    public void Nonsense_is_refused_with_a_clear_error(int records, int rows, int initialBackoff, int maxBackoff)
    {
        var options = new SinkOptions
        {
            MaxBatchRecords = records, MaxBatchRows = rows, RetryInitialBackoffMs = initialBackoff, RetryMaxBackoffMs = maxBackoff,
        };
        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("Sink:", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void An_insert_concurrency_outside_1_to_16_is_refused(int concurrency)
    {
        var error = Assert.Throws<InvalidOperationException>(new SinkOptions { InsertConcurrency = concurrency }.Validate);
        Assert.Contains("Sink:InsertConcurrency", error.Message, StringComparison.Ordinal);
    }
}
