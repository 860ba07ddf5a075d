using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace WorkloadProfiles.Agent.Sensor;

/// <summary>Record kinds of bpf/sensor.h (<c>enum wp_kind</c>). 0–5 match <see cref="Domain.Events.EventKind"/>.</summary>
internal enum SensorRecordKind : uint
{
    Exec = 0,
    Fork = 1,
    Exit = 2,
    Open = 3,
    Connect = 4,
    Dns = 5,
    CgroupMkdir = 100,
    CgroupRmdir = 101,
}

/// <summary>Indices of the per-CPU <c>counters</c> map (<c>enum wp_counter</c>).</summary>
internal enum SensorCounter
{
    RingBufferDrops = 0,
    DedupSuppressed = 1,
    Emitted = 2,
    DnsUnparsed = 3,
    OpenUnmatched = 4,
    PathFallback = 5,
    WatchFull = 6,
    UringFixedOpen = 7,
}

/// <summary><c>struct wp_watch</c>: the value of <c>watched_cgroups</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SensorWatch
{
    public const uint Provisional = 1, Nested = 2;

    public ulong Container;
    public uint Generation;
    public uint Flags;
}

/// <summary><c>struct wp_header</c>: the first 64 bytes of every ring-buffer record.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SensorRecordHeader
{
    public const int Size = 64;

    public ulong KtimeNs;
    /// <summary>The container's own cgroup id (also for tasks in cgroups nested below it).</summary>
    public ulong CgroupId;
    public ulong StartNs;
    public SensorRecordKind Kind;
    public uint Tgid;
    public uint Tid;
    public uint Ppid;
    public uint Uid;
    public uint Gid;
    public fixed byte Comm[16];

    public static ref readonly SensorRecordHeader Of(ReadOnlySpan<byte> record) =>
        ref MemoryMarshal.AsRef<SensorRecordHeader>(record[..Size]);
}

/// <summary>
/// Offsets of the kind-specific fields that follow the header, as laid out by bpf/sensor.h (natural alignment).
/// Reading by offset from the span keeps decoding allocation-free and bounds-checked.
/// </summary>
internal static class SensorRecordLayout
{
    public const int PathMax = 512;
    public const int ArgsMax = 1024;
    public const int DnsNameMax = 256;

    // struct wp_exec
    public const int ExecPathLen = 64, ExecArgsLen = 66, ExecCwdLen = 68, ExecFlags = 70, ExecPath = 72, ExecCwd = 584, ExecArgs = 1096, ExecSize = 2120;
    public const ushort ExecArgsTruncated = 1, ExecPathAsInvoked = 2;
    // struct wp_fork / wp_exit
    public const int ForkChildTgid = 64, ForkSize = 72;
    public const int ExitCode = 64, ExitSize = 72;
    // struct wp_open
    public const int OpenFlags = 64, OpenPathLen = 68, OpenResolution = 70, OpenPath = 72, OpenSize = 584;
    // struct wp_connect
    public const int ConnectFamily = 64, ConnectPort = 66, ConnectTransport = 68, ConnectAddr = 72, ConnectSize = 88;
    // struct wp_dns
    public const int DnsFamily = 64, DnsPort = 66, DnsQtype = 68, DnsNameLen = 70, DnsAddr = 72, DnsName = 88, DnsSize = 344;
    // struct wp_cgroup
    public const int CgroupId = 64, CgroupContainer = 72, CgroupLevel = 80, CgroupPathLen = 84, CgroupPath = 88, CgroupSize = 600;

    public static ushort U16(ReadOnlySpan<byte> record, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(record[offset..]);
    public static uint U32(ReadOnlySpan<byte> record, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(record[offset..]);
    public static int I32(ReadOnlySpan<byte> record, int offset) => BinaryPrimitives.ReadInt32LittleEndian(record[offset..]);
    public static ulong U64(ReadOnlySpan<byte> record, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(record[offset..]);

    /// <summary>A length-prefixed string field, clamped to its array (the kernel side already NUL-terminates).</summary>
    public static ReadOnlySpan<byte> Text(ReadOnlySpan<byte> record, int offset, int length, int capacity) =>
        record.Slice(offset, Math.Min(length, capacity - 1));

    /// <summary>The minimum record size of a kind; shorter records are malformed.</summary>
    public static int MinimumSize(SensorRecordKind kind) => kind switch
    {
        SensorRecordKind.Exec => ExecSize,
        SensorRecordKind.Fork => ForkSize,
        SensorRecordKind.Exit => ExitSize,
        SensorRecordKind.Open => OpenSize,
        SensorRecordKind.Connect => ConnectSize,
        SensorRecordKind.Dns => DnsSize,
        SensorRecordKind.CgroupMkdir or SensorRecordKind.CgroupRmdir => CgroupSize,
        _ => int.MaxValue,
    };
}
