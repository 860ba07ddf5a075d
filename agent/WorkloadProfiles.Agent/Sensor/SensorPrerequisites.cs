using System.Globalization;
using System.Runtime.InteropServices;

namespace WorkloadProfiles.Agent.Sensor;

/// <summary>
/// Checks what the sensor needs before libbpf gets a chance to fail obscurely: kernel BTF (CO-RE relocations),
/// privilege (root, or CAP_BPF + CAP_PERFMON; CAP_SYS_RESOURCE on kernels that still charge BPF memory to
/// RLIMIT_MEMLOCK), and a tracefs it can read (tracepoint ids are read from it; it is root-only, 0700, so a non-root
/// agent needs CAP_DAC_READ_SEARCH). The least-privilege set is in the README ("The agent") and tested non-root.
/// </summary>
internal static partial class SensorPrerequisites
{
    public const string DefaultBtfPath = "/sys/kernel/btf/vmlinux";
    private const int CapSysAdmin = 21, CapSysResource = 24, CapPerfmon = 38, CapBpf = 39;
    private static readonly string[] TracefsRoots = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

    public static void Check(string btfPath = DefaultBtfPath)
    {
        if (!File.Exists(btfPath))
            throw new SensorUnavailableException(
                $"Kernel BTF not found at {btfPath}: the sensor is CO-RE and needs a kernel built with CONFIG_DEBUG_INFO_BTF=y.");

        var effective = EffectiveCapabilities();
        bool Has(int cap) => (effective & (1UL << cap)) != 0;
        var canBpf = Has(CapSysAdmin) || (Has(CapBpf) && Has(CapPerfmon));
        if (!canBpf)
            throw new SensorUnavailableException(
                "Missing privilege to load eBPF programs: run as root or grant CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH and " +
                "CAP_SYS_PTRACE (and CAP_SYS_RESOURCE on kernels before 5.11) " +
                $"(effective capabilities: 0x{effective:x}).");
        _ = CapSysResource; // documented requirement for pre-5.11 kernels; 5.11+ accounts BPF memory to memcg.

        EnsureTracefs();
    }

    /// <summary>Whether the kernel has the tracepoint <paramref name="category"/>/<paramref name="name"/> (after
    /// <see cref="Check"/>, which makes sure tracefs is readable).</summary>
    public static bool HasTracepoint(string category, string name) =>
        TracefsRoots.Any(root => Directory.Exists(Path.Combine(root, "events", category, name)));

    private static ulong EffectiveCapabilities()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                return ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return 0;
    }

    private static void EnsureTracefs()
    {
        if (TracefsRoots.Any(root => Directory.Exists(Path.Combine(root, "events")))) return;
        // Mounted but not readable (tracefs is 0700 root): mounting again cannot help, and "not mounted" would mislead.
        if (MountedTracefs() is { } mountPoint)
            throw new SensorUnavailableException(
                $"tracefs is mounted at {mountPoint} but this process (uid {getuid().ToString(CultureInfo.InvariantCulture)}) " +
                $"cannot read it, and tracepoint ids are read from {mountPoint}/events: run as root or grant CAP_DAC_READ_SEARCH " +
                "(with CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE; see the README).");
        if (mount("tracefs", TracefsRoots[0], "tracefs", 0, 0) != 0)
            throw new SensorUnavailableException(
                $"tracefs is not mounted and mounting it at {TracefsRoots[0]} failed (errno {Marshal.GetLastPInvokeError()}): " +
                $"run `mount -t tracefs tracefs {TracefsRoots[0]}`.");
    }

    /// <summary>Where tracefs is mounted (one of the usual places first), from /proc/self/mountinfo; null if nowhere.</summary>
    private static string? MountedTracefs()
    {
        var mountPoints = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "36 35 0:12 / /sys/kernel/tracing rw,nosuid shared:13 - tracefs tracefs rw": the type follows " - ".
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            var fields = line.Split(' ');
            if (separator > 0 && fields.Length > 4 && line.AsSpan(separator + 3).StartsWith("tracefs ", StringComparison.Ordinal))
                mountPoints.Add(fields[4]);
        }
        return TracefsRoots.FirstOrDefault(mountPoints.Contains) ?? mountPoints.FirstOrDefault();
    }

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint getuid();

    [LibraryImport("libc", EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mount(string source, string target, string fileSystemType, ulong flags, nint data);
}
