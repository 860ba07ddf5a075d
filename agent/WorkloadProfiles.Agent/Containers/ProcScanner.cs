using System.Globalization;
using WorkloadProfiles.Agent.Sensor;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Containers;

/// <summary>
/// Turns the processes already running in a cgroup into synthetic events, so a container found after it started still
/// has a complete process tree: one Exec per process (parents before children), or a Fork from its parent for a child
/// that has not exec'd (it runs its parent's program with its parent's arguments: it belongs to its parent's node, as
/// the live fork event would have put it), and one Open per file it holds open, attributed to whoever opened it as far as
/// /proc can tell (see <see cref="OpenFiles"/>). Paths come from /proc links,
/// which the kernel renders relative to the process's own root, i.e. as the container sees them — the same canonical
/// paths the sensor walks, so a process gets the same node whether first seen by an exec or by this scan. The container
/// runtime's own processes (runc init before it execs the workload) are skipped, as the event pump skips their records.
/// </summary>
internal static class ProcScanner
{
    // /proc/<pid>/stat's starttime is in USER_HZ ticks since boot, 100 on every Linux ABI.
    private const long UserHz = 100;

    /// <param name="rescan">The agent already reported these processes (a profiling session begins): the events are marked
    /// <see cref="RawEvent.Rescan"/>, so detection does not evaluate them again.</param>
    public static List<RawEvent> Scan(IReadOnlyList<int> pids, long timestampUs, int maxArgs, bool rescan = false)
    {
        var processes = new List<ProcessInfo>();
        foreach (var pid in pids)
            if (Read(pid) is { } info && !RuntimePlumbing.IsRuntimeComm(info.Comm)) processes.Add(info);

        // Parents first: ancestors were started earlier, and start time orders them without walking the tree.
        processes.Sort((a, b) => a.StartTicks != b.StartTicks ? a.StartTicks.CompareTo(b.StartTicks) : a.Pid.CompareTo(b.Pid));
        var byPid = processes.ToDictionary(p => p.Pid);
        var bootUs = KernelClock.BootWallClockUs();

        var events = new List<RawEvent>(processes.Count * 2);
        foreach (var p in processes)
        {
            var args = p.Args.Length > maxArgs ? p.Args[..maxArgs] : p.Args;
            var template = new RawEvent
            {
                Kind = EventKind.Exec,
                TimestampUs = timestampUs,
                Pid = p.Pid,
                Tid = p.Pid,
                Ppid = p.Ppid,
                Uid = p.Uid,
                Gid = p.Gid,
                Comm = p.Comm,
                ProcessStartUs = bootUs + p.StartTicks * (1_000_000 / UserHz),
                Rescan = rescan,
            };
            var parent = byPid.GetValueOrDefault(p.Ppid);
            if (parent is not null && parent.Executable == p.Executable && parent.Args.AsSpan().SequenceEqual(p.Args))
            {
                events.Add(template with
                {
                    Kind = EventKind.Fork,
                    Pid = parent.Pid,
                    Tid = parent.Pid,
                    Ppid = parent.Ppid,
                    Uid = parent.Uid,
                    Gid = parent.Gid,
                    Comm = parent.Comm,
                    ProcessStartUs = bootUs + parent.StartTicks * (1_000_000 / UserHz),
                    ChildPid = p.Pid,
                });
            }
            else
            {
                events.Add(template with { ExecutablePath = p.Executable, Args = args, WorkingDirectory = p.WorkingDirectory });
            }
            foreach (var (opener, file) in OpenFiles(p, parent))
            {
                events.Add(template with
                {
                    Kind = EventKind.Open,
                    Pid = opener.Pid,
                    Tid = opener.Pid,
                    Ppid = opener.Ppid,
                    Comm = opener.Comm,
                    ProcessStartUs = bootUs + opener.StartTicks * (1_000_000 / UserHz),
                    FilePath = file.Path,
                    FileFlags = file.Flags,
                });
            }
        }
        return events;
    }

    /// <summary>
    /// Who opened each of a process's files, as the kernel would have reported it live: standard streams (fds 0–2) are set
    /// up before the exec, by the forked child while it still ran its parent's program, so they are the parent's (and the
    /// runtime's when the parent is outside the container: skipped); another descriptor the parent also holds was
    /// inherited (the parent's own open covers it); the rest the process opened itself.
    /// </summary>
    private static IEnumerable<(ProcessInfo Opener, OpenFile File)> OpenFiles(ProcessInfo process, ProcessInfo? parent)
    {
        foreach (var file in process.OpenFiles)
        {
            if (file.Fd <= 2)
            {
                if (parent is not null) yield return (parent, file);
            }
            else if (parent is null || !parent.OpenFiles.Any(f => f.Path == file.Path && f.Flags == file.Flags))
            {
                yield return (process, file);
            }
        }
    }

    private sealed record OpenFile(int Fd, string Path, int Flags);

    private sealed record ProcessInfo(int Pid, int Ppid, uint Uid, uint Gid, string Comm, long StartTicks, string Executable,
        string[] Args, string? WorkingDirectory, List<OpenFile> OpenFiles);

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
                else if (line.StartsWith("PPid:", StringComparison.Ordinal)) ppid = int.Parse(line[5..].Trim(), CultureInfo.InvariantCulture);
                else if (line.StartsWith("Uid:", StringComparison.Ordinal)) uid = uint.Parse(line[4..].Trim().Split('\t')[0], CultureInfo.InvariantCulture);
                else if (line.StartsWith("Gid:", StringComparison.Ordinal)) gid = uint.Parse(line[4..].Trim().Split('\t')[0], CultureInfo.InvariantCulture);
            }
            var stat = File.ReadAllText($"{dir}/stat");
            // Field 22 (starttime) counts from after the parenthesized comm, which may itself contain spaces.
            var afterComm = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var startTicks = long.Parse(afterComm[19], CultureInfo.InvariantCulture);

            var cmdline = File.ReadAllBytes($"{dir}/cmdline");
            var args = KernelText.Decode(cmdline).TrimEnd('\0').Split('\0');
            var exe = TryReadLink($"{dir}/exe") ?? (args.Length > 0 ? args[0] : comm);

            var files = new List<OpenFile>();
            foreach (var fd in SafeEnumerate($"{dir}/fd"))
            {
                var target = TryReadLink(fd);
                if (target is null || !target.StartsWith('/') || target.EndsWith(" (deleted)", StringComparison.Ordinal)) continue;
                if (!int.TryParse(Path.GetFileName(fd), NumberStyles.None, CultureInfo.InvariantCulture, out var number)) continue;
                files.Add(new OpenFile(number, target, ReadFlags($"{dir}/fdinfo/{number}")));
            }
            return new ProcessInfo(pid, ppid, uid, gid, comm, startTicks, exe, args, TryReadLink($"{dir}/cwd"), files);
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
