namespace WorkloadProfiles.Domain.Events;

/// <summary>What the kernel (or /proc, for processes already running) told us happened.</summary>
public enum EventKind
{
    /// <summary>A process replaced its image (execve). Also emitted from /proc for processes running before profiling began.</summary>
    Exec = 0,
    /// <summary>A process created a child (fork/clone of a new thread group).</summary>
    Fork = 1,
    /// <summary>A thread group ended.</summary>
    Exit = 2,
    /// <summary>A successful openat/openat2.</summary>
    Open = 3,
    /// <summary>A connect() on an inet socket.</summary>
    Connect = 4,
    /// <summary>A DNS question sent to UDP port 53.</summary>
    Dns = 5,
    /// <summary>The container itself stopped: closes its snapshot window early.</summary>
    ContainerExit = 6,
}

/// <summary>How a file event's path was obtained (<see cref="RawEvent.FileResolution"/>).</summary>
public enum PathResolution
{
    /// <summary>The path of the file the kernel opened, walked from its dentry and mount at syscall exit (or read from a
    /// /proc fd link): absolute and canonical, with symlinks, <c>.</c>, <c>..</c> and repeated slashes resolved.</summary>
    OpenedFile = 0,
    /// <summary>The opened file could not be walked: the name the process passed, joined to the directory it was looked up
    /// from (working directory or directory fd, walked in the kernel) and normalized lexically (symlinks not resolved).</summary>
    Joined = 1,
    /// <summary>The name as the process passed it: it could not be made absolute (it may be relative).</summary>
    AsPassed = 2,
}

/// <summary>Transport of a network event.</summary>
public enum NetworkTransport { Unknown = 0, Tcp = 1, Udp = 2 }

/// <summary>
/// One kernel event of one container. Flat on purpose: the snapshot builder reads millions of these,
/// so the kind-specific fields are nullable members rather than a class hierarchy.
/// Timestamps are wall-clock microseconds since the Unix epoch (the agent converts kernel monotonic time).
/// Strings that came from the kernel as non-UTF-8 bytes carry those bytes as <c>\xNN</c> escapes (see README).
/// </summary>
public sealed record RawEvent
{
    public required EventKind Kind { get; init; }
    public required long TimestampUs { get; init; }

    // process.* — every event has the acting process.
    public required int Pid { get; init; }
    public int Tid { get; init; }
    public int Ppid { get; init; }
    public uint Uid { get; init; }
    public uint Gid { get; init; }
    /// <summary>process.name: the kernel comm (≤ 15 bytes).</summary>
    public string Comm { get; init; } = "";
    /// <summary>process.start: when the acting process started (its thread-group leader), wall-clock microseconds; 0 when
    /// unknown. With the pid it names one process across pid reuse.</summary>
    public long ProcessStartUs { get; init; }

    /// <summary>process.executable.path (Exec): the binary the process runs, symlinks resolved — the path
    /// <c>/proc/&lt;pid&gt;/exe</c> shows.</summary>
    public string? ExecutablePath { get; init; }
    /// <summary>process.args including argv[0] (Exec).</summary>
    public IReadOnlyList<string>? Args { get; init; }
    /// <summary>process.working_directory at the exec, as the container sees it (Exec); null when not captured.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Fork: the new child's pid (the acting process is the parent).</summary>
    public int ChildPid { get; init; }
    /// <summary>Exit: the exit code.</summary>
    public int ExitCode { get; init; }

    /// <summary>file.path (Open).</summary>
    public string? FilePath { get; init; }
    /// <summary>open(2) flags (Open): O_WRONLY/O_RDWR/O_CREAT/O_TRUNC decide write access.</summary>
    public int FileFlags { get; init; }
    /// <summary>How <see cref="FilePath"/> was obtained (Open).</summary>
    public PathResolution FileResolution { get; init; }

    /// <summary>dns.question.name (Dns).</summary>
    public string? DnsQuestionName { get; init; }
    /// <summary>dns.question.type as the numeric QTYPE (1 = A, 28 = AAAA, …).</summary>
    public int DnsQuestionType { get; init; }

    /// <summary>network.transport (Connect).</summary>
    public NetworkTransport Transport { get; init; }
    /// <summary>destination.address as text, IPv4 dotted or IPv6 (Connect, Dns).</summary>
    public string? DestinationAddress { get; init; }
    /// <summary>destination.port (Connect, Dns).</summary>
    public int DestinationPort { get; init; }

    /// <summary>
    /// Re-read from /proc when a profiling session began (Exec, Fork, Open): the agent had already reported the process,
    /// live or when it started watching the container. The snapshot counts it (the process runs in this session);
    /// detection applies its lineage but does not evaluate it again.
    /// </summary>
    public bool Rescan { get; init; }
}
