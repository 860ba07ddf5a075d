namespace WorkloadProfiles.Agent.Sensor;

/// <summary>
/// Makes a relative open path absolute with the process's working directory, read from /proc while the process is
/// (usually) still alive: the sensor reports the path as the program passed it, and tracepoints cannot call
/// bpf_d_path. /proc renders the link relative to the process's own root, i.e. as the container sees it.
/// When the thread is already gone the path stays relative. Paths relative to a directory fd (openat with a dirfd
/// other than AT_FDCWD) are resolved against the working directory too, which can be wrong; such opens are rare in
/// the workloads profiled.
/// </summary>
internal static class WorkingDirectory
{
    public static bool TryResolve(int tid, int pid, string relativePath, out string absolute)
    {
        var cwd = ReadCwd(tid) ?? ReadCwd(pid);
        if (cwd is null || !cwd.StartsWith('/'))
        {
            absolute = relativePath;
            return false;
        }
        absolute = Path.GetFullPath(Path.Join(cwd, relativePath));
        return true;
    }

    private static string? ReadCwd(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/cwd").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
