using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace WorkloadProfiles.Agent.Containers;

/// <summary>A container's cgroup v2 directory: the id the kernel stamps on events is the directory's inode.</summary>
internal sealed record ContainerCgroup(ulong CgroupId, string ContainerId, string RelativePath);

/// <summary>
/// The cgroup v2 hierarchy: finds its mount (pure v2 at /sys/fs/cgroup, hybrid at /sys/fs/cgroup/unified), maps
/// directories to cgroup ids, recognizes container cgroups by the 64-hex container id in their path and lists a
/// cgroup's processes. The paths runtimes and kubelet make (systemd and cgroupfs drivers):
/// <list type="bullet">
/// <item>Docker <c>/docker/&lt;id&gt;</c>, <c>/system.slice/docker-&lt;id&gt;.scope</c>; Podman
/// <c>/libpod_parent/libpod-&lt;id&gt;</c>, <c>/machine.slice/libpod-&lt;id&gt;.scope</c>;</item>
/// <item>kubelet, systemd driver: <c>/kubepods.slice/kubepods-&lt;qos&gt;.slice/kubepods-&lt;qos&gt;-pod&lt;uid&gt;.slice/…</c>
/// (Guaranteed pods directly under <c>kubepods.slice</c> as <c>kubepods-pod&lt;uid&gt;.slice</c>), the container as
/// <c>cri-containerd-&lt;id&gt;.scope</c>, <c>crio-&lt;id&gt;.scope</c> or <c>docker-&lt;id&gt;.scope</c>;</item>
/// <item>kubelet, cgroupfs driver: <c>/kubepods/&lt;qos&gt;/pod&lt;uid&gt;/&lt;id&gt;</c> (Guaranteed: <c>/kubepods/pod&lt;uid&gt;/&lt;id&gt;</c>;
/// CRI-O: <c>crio-&lt;id&gt;</c>), where qos is burstable or besteffort.</item>
/// </list>
/// The monitor processes beside a container (CRI-O's and Podman's conmon: <c>crio-conmon-&lt;id&gt;</c>,
/// <c>libpod-conmon-&lt;id&gt;.scope</c>) carry the container's id but are not the container: their cgroups are not
/// containers. A pod's sandbox (pause) cgroup looks like a container's; the runtime tells them apart.
/// </summary>
internal sealed partial class CgroupFs
{
    public CgroupFs(string? mountPoint = null) => MountPoint = mountPoint ?? FindMount();

    public string MountPoint { get; }

    /// <summary>The container id in a cgroup path: the last 64-hex run, so a nested cgroup maps to its container; null
    /// when there is none or the run belongs to a conmon cgroup (any segment naming conmon).</summary>
    public static string? ContainerIdOf(string cgroupPath)
    {
        string? id = null;
        foreach (var segment in cgroupPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var last = ContainerIdPattern().Matches(segment).LastOrDefault();
            if (last is null) continue;
            if (segment.Contains("conmon", StringComparison.Ordinal)) return null;
            id = last.Value;
        }
        return id;
    }

    public string FullPath(string relativePath) => Path.Join(MountPoint, relativePath);

    public ContainerCgroup? Describe(string relativePath)
    {
        var id = ContainerIdOf(relativePath);
        if (id is null) return null;
        var inode = InodeOf(FullPath(relativePath));
        return inode == 0 ? null : new ContainerCgroup(inode, id, relativePath);
    }

    /// <summary>Container cgroups existing now: the outermost directory per container id.</summary>
    public IReadOnlyList<ContainerCgroup> ListContainers()
    {
        var found = new Dictionary<string, ContainerCgroup>();
        var pending = new Stack<string>();
        pending.Push(MountPoint);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            IEnumerable<string> children;
            try { children = Directory.EnumerateDirectories(dir); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            foreach (var child in children)
            {
                var relative = "/" + Path.GetRelativePath(MountPoint, child);
                var id = ContainerIdOf(Path.GetFileName(child));
                if (id is not null && !found.ContainsKey(id))
                {
                    var inode = InodeOf(child);
                    if (inode != 0) found[id] = new ContainerCgroup(inode, id, relative);
                    continue; // sub-cgroups of a container belong to it
                }
                pending.Push(child);
            }
        }
        return [.. found.Values];
    }

    /// <summary>Process ids in a cgroup and its descendants (empty when it is gone).</summary>
    public IReadOnlyList<int> ProcessesOf(string relativePath)
    {
        var pids = new List<int>();
        var root = FullPath(relativePath);
        try
        {
            foreach (var procs in Directory.EnumerateFiles(root, "cgroup.procs", SearchOption.AllDirectories))
                foreach (var line in File.ReadLines(procs))
                    if (int.TryParse(line, out var pid)) pids.Add(pid);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return pids;
    }

    /// <summary>Ids of the cgroups below a container's own (empty when it has none or is gone).</summary>
    public IReadOnlyList<ulong> NestedCgroups(string relativePath)
    {
        var ids = new List<ulong>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(FullPath(relativePath), "*", SearchOption.AllDirectories))
                if (InodeOf(dir) is var inode and not 0) ids.Add(inode);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return ids;
    }

    public bool Exists(string relativePath) => Directory.Exists(FullPath(relativePath));

    /// <summary>Inode number of a path (the cgroup id for a cgroup v2 directory); 0 when it does not exist.</summary>
    public static unsafe ulong InodeOf(string path)
    {
        // struct stat: st_dev then st_ino on both x86-64 and arm64 Linux.
        var buffer = stackalloc byte[256];
        return stat(path, buffer) == 0 ? *(ulong*)(buffer + 8) : 0;
    }

    private static string FindMount()
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "id parent major:minor root mountpoint options ... - fstype source superoptions"
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0) continue;
            var fsType = line[(separator + 3)..].Split(' ')[0];
            if (fsType == "cgroup2") return line.Split(' ')[4];
        }
        throw new InvalidOperationException("No cgroup v2 hierarchy is mounted: the agent needs cgroup v2 (unified or hybrid mode).");
    }

    [GeneratedRegex("[0-9a-f]{64}")]
    private static partial Regex ContainerIdPattern();

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int stat(string path, byte* buffer);
}
