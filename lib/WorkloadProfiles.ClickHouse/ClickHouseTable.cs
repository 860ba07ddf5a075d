namespace WorkloadProfiles.ClickHouse;

/// <summary>One column of an insert: its name and the exact ClickHouse type RowBinary must be written as.</summary>
public sealed record ClickHouseColumn(string Name, string Type);

/// <summary>
/// The columns an insert writes, with explicit types: ClickHouse.Driver, or <see cref="RowBinaryRows"/>, then writes
/// RowBinary without asking the server for the schema (the driver's probe uses formats 18.16 lacks). Must agree with <c>sql/migrations</c>, which a test checks.
/// </summary>
public sealed class ClickHouseTable
{
    private IReadOnlyList<ColumnEncoder>? encoders;

    public ClickHouseTable(string name, IReadOnlyList<ClickHouseColumn> columns)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (columns.Count == 0) throw new ArgumentException("A table needs at least one column.", nameof(columns));
        Name = name;
        Columns = columns;
        ColumnNames = columns.Select(c => c.Name).ToArray();
        ColumnTypes = columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal);
    }

    public string Name { get; }
    public IReadOnlyList<ClickHouseColumn> Columns { get; }
    public IReadOnlyList<string> ColumnNames { get; }
    public IReadOnlyDictionary<string, string> ColumnTypes { get; }

    /// <summary>How each column is written by <see cref="RowBinaryRows"/> (made on first use).</summary>
    internal IReadOnlyList<ColumnEncoder> Encoders => encoders ??= [.. Columns.Select(ColumnEncoder.For)];

    public override string ToString() => Name;
}
