using WorkloadProfiles.Domain.Events;
using static WorkloadProfiles.ClickHouse.Tables.Columns;

namespace WorkloadProfiles.ClickHouse.Tables;

/// <summary><c>containers</c>: the agents' container inventory, latest update wins (sql/migrations/004_containers.sql).</summary>
public static class ContainersTable
{
    public static ClickHouseTable Table { get; } = new("containers",
    [
        new("container_id", StringType),
        new("name", StringType),
        new("image_name", LowCardinalityStringType),
        new("image_tag", StringType),
        new("host_name", LowCardinalityStringType),
        new("state", LowCardinalityStringType),
        new("profiled", UInt8Type),
        new("started_at", DateTimeUtcType),
        new("started_at_us", Int64Type),
        new("profiling_since_us", NullableInt64Type),
        new("exited_at_us", NullableInt64Type),
        new("cgroup_id", UInt64Type),
        new("updated_at_us", UInt64Type),
    ]);

    public static object?[] Row(ContainerInfo container) =>
    [
        container.Container.Id,
        container.Name,
        container.Container.ImageName ?? "",
        container.Container.ImageTag ?? "",
        container.HostName,
        container.State.ToString(),
        Flag(container.Profiled),
        Time(container.StartedAtUs),
        container.StartedAtUs,
        container.ProfilingSinceUs,
        container.ExitedAtUs,
        container.CgroupId,
        Count(container.UpdatedAtUs),
    ];
}
