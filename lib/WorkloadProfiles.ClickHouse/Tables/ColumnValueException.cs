namespace WorkloadProfiles.ClickHouse.Tables;

/// <summary>
/// A record holds a value its column cannot represent (a time outside <c>DateTime</c>'s 1970..2106): the row is refused
/// rather than stored as a different value. The sink dead-letters such records as <c>invalid-value</c>.
/// </summary>
public sealed class ColumnValueException(string message) : Exception(message);
