namespace WorkloadProfiles.Agent.Containers;

/// <summary>
/// The container runtime's own processes inside a container's cgroup: runc's init runs there before it execs the
/// workload (container start, `podman exec`), and its opens of /proc/self/* are the runtime's, not the image's behaviour.
/// Neither the event pump nor the /proc scan attributes them to the container.
/// </summary>
internal static class RuntimePlumbing
{
    public static bool IsRuntimeComm(ReadOnlySpan<byte> comm) => comm.StartsWith("runc:["u8);

    public static bool IsRuntimeComm(string comm) => comm.StartsWith("runc:[", StringComparison.Ordinal);
}
