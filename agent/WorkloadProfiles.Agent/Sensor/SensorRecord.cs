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
}

/// <summary><c>struct wp_header</c>: the first 56 bytes of every ring-buffer record.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SensorRecordHeader
{
    public const int Size = 56;

    public ulong KtimeNs;
    public ulong CgroupId;
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
    public const int PathMax = 256;
    public const int ArgsMax = 1024;

    // struct wp_exec
    public const int ExecPathLen = 56, ExecArgsLen = 58, ExecArgsTruncated = 60, ExecPath = 64, ExecArgs = 320, ExecSize = 1344;
    // struct wp_fork / wp_exit
    public const int ForkChildTgid = 56, ForkSize = 64;
    public const int ExitCode = 56, ExitSize = 64;
    // struct wp_open
    public const int OpenFlags = 56, OpenPathLen = 60, OpenPath = 64, OpenSize = 320;
    // struct wp_connect
    public const int ConnectFamily = 56, ConnectPort = 58, ConnectTransport = 60, ConnectAddr = 64, ConnectSize = 80;
    // struct wp_dns
    public const int DnsFamily = 56, DnsPort = 58, DnsQtype = 60, DnsNameLen = 62, DnsAddr = 64, DnsName = 80, DnsSize = 336;
    // struct wp_cgroup
    public const int CgroupId = 56, CgroupLevel = 64, CgroupPathLen = 68, CgroupPath = 72, CgroupSize = 328;

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
