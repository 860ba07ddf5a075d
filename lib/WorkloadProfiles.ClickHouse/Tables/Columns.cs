using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.ClickHouse.Tables;

/// <summary>Column types and value conversions shared by the table mappings; one spelling per concept.</summary>
internal static class Columns
{
    public const string LowCardinalityStringType = "LowCardinality(String)";
    public const string StringType = "String";
    public const string UInt8Type = "UInt8";
    public const string UInt16Type = "UInt16";
    public const string UInt32Type = "UInt32";
    public const string UInt64Type = "UInt64";
    public const string Int32Type = "Int32";
    public const string Int64Type = "Int64";
    public const string Float64Type = "Float64";
    public const string DateTimeUtcType = "DateTime('UTC')";
    public const string StringArrayType = "Array(String)";
    public const string UInt64ArrayType = "Array(UInt64)";
    public const string Float64ArrayType = "Array(Float64)";
    public const string NullableInt64Type = "Nullable(Int64)";
    public const string NullableUInt64Type = "Nullable(UInt64)";
    public const string NullableFloat64Type = "Nullable(Float64)";

    /// <summary>
    /// The second-resolution DateTime next to an exact *_us column. DateTime is an unsigned 32-bit second count
    /// (1970..2106): a time outside it would be stored as another time, so the row is refused instead.
    /// </summary>
    /// <exception cref="ColumnValueException">The time is outside 1970-01-01..2106-02-07.</exception>
    public static DateTimeOffset Time(long micros)
    {
        var seconds = micros / 1_000_000;
        if (micros < 0 || seconds > uint.MaxValue)
        {
            throw new ColumnValueException($"time {micros} µs since the epoch is outside what a ClickHouse DateTime holds (1970-01-01..2106-02-07)");
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    /// <summary>Counts are never negative; a negative one would be a producer bug, stored as 0 rather than wrapped.</summary>
    public static ulong Count(long value) => value < 0 ? 0UL : (ulong)value;

    public static byte Flag(bool value) => value ? (byte)1 : (byte)0;

    /// <summary>The orchestrator_* columns every container-scoped table has (sql/migrations/007_kubernetes.sql).</summary>
    public static ClickHouseColumn[] OrchestratorColumns =>
    [
        new("orchestrator_namespace", LowCardinalityStringType),
        new("orchestrator_pod_name", StringType),
        new("orchestrator_pod_uid", StringType),
        new("orchestrator_container_name", StringType),
        new("orchestrator_workload_kind", LowCardinalityStringType),
        new("orchestrator_workload_name", StringType),
    ];

    /// <summary>Values for <see cref="OrchestratorColumns"/>: '' outside Kubernetes.</summary>
    public static object?[] Orchestrator(KubernetesMeta? kubernetes) =>
    [
        kubernetes?.Namespace ?? "",
        kubernetes?.PodName ?? "",
        kubernetes?.PodUid ?? "",
        kubernetes?.ContainerName ?? "",
        kubernetes?.WorkloadKind ?? "",
        kubernetes?.WorkloadName ?? "",
    ];

    public static string Kind(NodeKind kind) => kind switch
    {
        NodeKind.Process => "process",
        NodeKind.File => "file",
        NodeKind.Dns => "dns",
        NodeKind.Network => "network",
        _ => kind.ToString().ToLowerInvariant(),
    };

    public static string Access(FileAccessMode access) => access switch
    {
        FileAccessMode.None => "",
        FileAccessMode.Read => "r",
        FileAccessMode.Write => "w",
        _ => "rw",
    };
}
