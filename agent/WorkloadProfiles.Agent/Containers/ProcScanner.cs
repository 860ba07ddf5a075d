using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Containers;

/// <summary>
/// Turns the processes already running in a cgroup into synthetic events, so a container profiled after it started
/// still has a complete process tree: one Exec per process (parents before children) and one Open per regular
/// file it holds open. Paths come from /proc links, which the kernel renders relative to the process's own root,
/// i.e. as the container sees them.
/// </summary>
internal static class ProcScanner
{
    public static List<RawEvent> Scan(IReadOnlyList<int> pids, long timestampUs, int maxArgs)
    {
        var processes = new List<ProcessInfo>();
        foreach (var pid in pids)
            if (Read(pid) is { } info) processes.Add(info);

        // Parents first: ancestors were started earlier, and start time orders them without walking the tree.
        processes.Sort((a, b) => a.StartTicks != b.StartTicks ? a.StartTicks.CompareTo(b.StartTicks) : a.Pid.CompareTo(b.Pid));

        var events = new List<RawEvent>(processes.Count * 2);
        foreach (var p in processes)
        {
            var args = p.Args.Length > maxArgs ? p.Args[..maxArgs] : p.Args;
            var exec = new RawEvent
            {
                Kind = EventKind.Exec,
                TimestampUs = timestampUs,
                Pid = p.Pid,
                Tid = p.Pid,
                Ppid = p.Ppid,
                Uid = p.Uid,
                Gid = p.Gid,
                Comm = p.Comm,
                ExecutablePath = p.Executable,
                Args = args,
            };
            events.Add(exec);
            foreach (var file in p.OpenFiles)
                events.Add(new RawEvent
                {
                    Kind = EventKind.Open,
                    TimestampUs = timestampUs,
                    Pid = p.Pid,
                    Tid = p.Pid,
                    Ppid = p.Ppid,
                    Uid = p.Uid,
                    Gid = p.Gid,
                    Comm = p.Comm,
                    FilePath = file.Path,
                    FileFlags = file.Flags,
                });
        }
        return events;
    }

    private sealed record ProcessInfo(int Pid, int Ppid, uint Uid, uint Gid, string Comm, ulong StartTicks, string Executable, string[] Args, List<(string Path, int Flags)> OpenFiles);

    private static ProcessInfo? Read(int pid)
    {
        var dir = $"/proc/{pid}";
        try
        {
            int ppid = 0;
            uint uid = 0, gid = 0;
            var comm = "";
            foreach (var line in File.ReadLines($"{dir}/status"))
            {
                if (line.StartsWith("Name:", StringComparison.Ordinal)) comm = line[5..].Trim();
                else if (line.StartsWith("PPid:", StringComparison.Ordinal)) ppid = int.Parse(line[5..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                else if (line.StartsWith("Uid:", StringComparison.Ordinal)) uid = uint.Parse(line[4..].Trim().Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
                else if (line.StartsWith("Gid:", StringComparison.Ordinal)) gid = uint.Parse(line[4..].Trim().Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            var stat = File.ReadAllText($"{dir}/stat");
            // Field 22 (starttime) counts from after the parenthesized comm, which may itself contain spaces.
            var afterComm = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var startTicks = ulong.Parse(afterComm[19], System.Globalization.CultureInfo.InvariantCulture);

            var cmdline = File.ReadAllBytes($"{dir}/cmdline");
            var args = Sensor.KernelText.Decode(cmdline).TrimEnd('\0').Split('\0');
            var exe = TryReadLink($"{dir}/exe") ?? (args.Length > 0 ? args[0] : comm);

            var files = new List<(string, int)>();
            foreach (var fd in SafeEnumerate($"{dir}/fd"))
            {
                var target = TryReadLink(fd);
                if (target is null || !target.StartsWith('/') || target.EndsWith(" (deleted)", StringComparison.Ordinal)) continue;
                files.Add((target, ReadFlags($"{dir}/fdinfo/{Path.GetFileName(fd)}")));
            }
            return new ProcessInfo(pid, ppid, uid, gid, comm, startTicks, exe, args, files);
        }
        catch (IOException) { return null; } // exited while being read
        catch (UnauthorizedAccessException) { return null; }
    }

    private static int ReadFlags(string fdinfo)
    {
        try
        {
            foreach (var line in File.ReadLines(fdinfo))
                if (line.StartsWith("flags:", StringComparison.Ordinal))
                    return Convert.ToInt32(line[6..].Trim(), 8);
        }
        catch (IOException) { }
        return 0;
    }

    private static string[] SafeEnumerate(string dir)
    {
        try { return Directory.GetFileSystemEntries(dir); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    private static string? TryReadLink(string path)
    {
        try { return new FileInfo(path).LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
