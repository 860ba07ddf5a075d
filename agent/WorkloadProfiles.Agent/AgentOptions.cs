namespace WorkloadProfiles.Agent;

/// <summary>
/// The agent's configuration (section <c>Agent</c>: JSON config file, or environment variables such as
/// <c>WP_Agent__MaxProfiledContainers</c>). Every option has a default that works on a development machine.
/// </summary>
public sealed class AgentOptions
{
    public const string Section = "Agent";

    /// <summary>The compiled sensor; default: sensor.bpf.o next to the agent binary.</summary>
    public string SensorObject { get; set; } = Path.Combine(AppContext.BaseDirectory, "sensor.bpf.o");

    /// <summary>Kernel BTF the sensor's CO-RE relocations need.</summary>
    public string BtfPath { get; set; } = "/sys/kernel/btf/vmlinux";

    /// <summary>
    /// Ring buffer size in bytes (power of two, multiple of the page size). libbpf maps its pages twice, so it counts
    /// twice in the agent's RSS; 2 MiB held a container's flat-out rate (~90k events/s on the bench VM) without a drop.
    /// </summary>
    public uint RingBufferBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// Where the agent asks who a container is: <c>auto</c> (every well-known runtime socket that answers: containerd and
    /// CRI-O through the CRI, Docker and Podman through the Engine API), or <c>cri+unix:///path</c>,
    /// <c>docker+unix:///path</c>, <c>unix:///path</c> (probed), <c>tcp://host:port</c>, or a comma-separated list
    /// (see <see cref="Containers.ContainerRuntimes"/>).
    /// </summary>
    public string ContainerRuntimeEndpoint { get; set; } = Containers.ContainerRuntimes.Auto;

    /// <summary>cgroup v2 mount; default: found in /proc/self/mountinfo.</summary>
    public string? CgroupRoot { get; set; }

    /// <summary>At most this many containers are profiled at once (bounds overhead).</summary>
    public int MaxProfiledContainers { get; set; } = 5;

    /// <summary>A profiling session lasts one snapshot interval, then the slot rotates if another container waits. The
    /// same length is the dedup window of containers watched for detection only.</summary>
    public TimeSpan SessionLength { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a new container's batches wait for the runtime to name its image before they go out unresolved.</summary>
    public TimeSpan ImageWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Comma-separated path prefixes whose read-only opens are not published for containers that do not hold a profiling
    /// slot (every write, exec, connect and DNS question is, and every read elsewhere): shared libraries and similar files
    /// every process reads, which no default rule or drift check uses. Only canonical (kernel-walked) paths are compared.
    /// Empty: publish every read.
    /// </summary>
    public string DetectionOnlyIgnoredReads { get; set; } =
        "/lib/,/lib32/,/lib64/,/usr/lib/,/usr/lib32/,/usr/lib64/,/usr/local/lib/,/usr/share/zoneinfo/,/usr/share/locale/," +
        "/etc/ld.so.cache,/dev/null,/dev/zero,/dev/random,/dev/urandom,/dev/tty";

    /// <summary><see cref="DetectionOnlyIgnoredReads"/> as a list.</summary>
    public IReadOnlyList<string> IgnoredReadPrefixes() =>
        DetectionOnlyIgnoredReads.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A container's batch is published when its oldest event is this old, counted from when the kernel saw it,
    /// even if it is not full (with every other container's pending batch: they go out together).</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A container's batch is published as soon as it holds this many events.</summary>
    public int MaxBatchEvents { get; set; } = 512;

    /// <summary>argv entries kept per exec (the kernel copies at most 1 KiB of argv).</summary>
    public int MaxArgs { get; set; } = 32;

    /// <summary>host.name stamped on batches and container records; default: the machine name.</summary>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>Identifies this agent in batches (with the sequence, recognises replays and retries).</summary>
    public string AgentId { get; set; } = $"{Environment.MachineName}-agent";

    /// <summary>Only containers whose image (<c>name@tag</c>) matches this regular expression are profiled; empty = all.
    /// Every container is watched for detection whatever its image.</summary>
    public string ImageFilter { get; set; } = "";

    /// <summary>Read profile statuses from wp.profiles to prefer Learning images and skip Stable ones.</summary>
    public bool FollowProfiles { get; set; } = true;

    /// <summary>Address of the Prometheus metrics listener (e.g. "127.0.0.1:9464"); empty disables it.</summary>
    public string MetricsListen { get; set; } = "";

    public void Validate()
    {
        if (MaxProfiledContainers < 1) throw new ArgumentException("Agent:MaxProfiledContainers must be at least 1");
        if (SessionLength <= TimeSpan.Zero) throw new ArgumentException("Agent:SessionLength must be positive");
        if (FlushInterval <= TimeSpan.Zero || FlushInterval > TimeSpan.FromSeconds(10))
            throw new ArgumentException("Agent:FlushInterval must be in (0, 10s]");
        if (MaxBatchEvents < 1) throw new ArgumentException("Agent:MaxBatchEvents must be at least 1");
        if (MaxArgs < 1) throw new ArgumentException("Agent:MaxArgs must be at least 1");
        if (ImageWait < TimeSpan.Zero || ImageWait > TimeSpan.FromMinutes(1)) throw new ArgumentException("Agent:ImageWait must be in [0, 1 min]");
        if (RingBufferBytes < 4096 || (RingBufferBytes & (RingBufferBytes - 1)) != 0)
            throw new ArgumentException("Agent:RingBufferBytes must be a power of two of at least 4096");
        if (!string.IsNullOrEmpty(ImageFilter)) _ = new System.Text.RegularExpressions.Regex(ImageFilter);
        if (IgnoredReadPrefixes().FirstOrDefault(p => !p.StartsWith('/')) is { } relative)
            throw new ArgumentException($"Agent:DetectionOnlyIgnoredReads: '{relative}' is not an absolute path prefix");
    }
}
