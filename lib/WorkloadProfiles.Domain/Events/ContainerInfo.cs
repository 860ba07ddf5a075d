namespace WorkloadProfiles.Domain.Events;

public enum ContainerState { Running = 0, Exited = 1 }

/// <summary>Value of the compacted <c>wp.containers</c> topic: the agent's inventory of one container.</summary>
public sealed record ContainerInfo
{
    public required ContainerRef Container { get; init; }
    public string Name { get; init; } = "";
    public required string HostName { get; init; }
    public ContainerState State { get; init; }
    /// <summary>Whether the agent holds a profiling slot for this container right now.</summary>
    public bool Profiled { get; init; }
    public long StartedAtUs { get; init; }
    public long? ProfilingSinceUs { get; init; }
    public long? ExitedAtUs { get; init; }
    public long UpdatedAtUs { get; init; }
    /// <summary>The cgroup v2 id (inode of the cgroup directory) the kernel stamps on events.</summary>
    public ulong CgroupId { get; init; }
}
