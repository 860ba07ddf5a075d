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
        .. OrchestratorColumns,
        new("orchestrator_label_keys", StringArrayType),
        new("orchestrator_label_values", StringArrayType),
    ]);

    public static object?[] Row(ContainerInfo container)
    {
        var labels = (container.Container.Kubernetes?.Labels ?? new Dictionary<string, string>()).OrderBy(l => l.Key, StringComparer.Ordinal).ToArray();
        return
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
            .. Orchestrator(container.Container.Kubernetes),
            labels.Select(l => l.Key).ToArray(),
            labels.Select(l => l.Value).ToArray(),
        ];
    }
}
