using System.Net;
using WorkloadProfiles.Domain.Events;
using static WorkloadProfiles.Agent.Sensor.SensorRecordLayout;

namespace WorkloadProfiles.Agent.Sensor;

/// <summary>A cgroup v2 directory was created or removed (container discovery). <paramref name="Container"/>: for a
/// creation, the container's cgroup it was attached to in the kernel (created from inside that container), else 0.</summary>
internal readonly record struct CgroupChange(bool Created, ulong CgroupId, int Level, string Path, ulong Container = 0);

/// <summary>
/// Decodes ring-buffer records into domain <see cref="RawEvent"/>s. Reads fields by offset from the span; strings go
/// through a <see cref="StringPool"/> so repeated comms and paths do not allocate.
/// </summary>
internal sealed class SensorRecordDecoder
{
    private const ushort AfInet = 2, AfInet6 = 10;
    private readonly KernelClock _clock;
    private readonly StringPool _strings;
    private readonly int _maxArgs;

    /// <summary>The clock that stamps the decoded events.</summary>
    public KernelClock Clock => _clock;

    public SensorRecordDecoder(KernelClock clock, StringPool strings, int maxArgs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxArgs, 1);
        _clock = clock;
        _strings = strings;
        _maxArgs = maxArgs;
    }

    public static bool IsCgroupRecord(SensorRecordKind kind) => kind is SensorRecordKind.CgroupMkdir or SensorRecordKind.CgroupRmdir;

    /// <summary>Validates a record's size for its kind; the reason is null when it is well-formed.</summary>
    public static string? Validate(ReadOnlySpan<byte> record)
    {
        if (record.Length < SensorRecordHeader.Size) return $"record of {record.Length} bytes is shorter than its header";
        var kind = SensorRecordHeader.Of(record).Kind;
        var minimum = MinimumSize(kind);
        if (minimum == int.MaxValue) return $"unknown record kind {(uint)kind}";
        return record.Length < minimum ? $"{kind} record of {record.Length} bytes, expected {minimum}" : null;
    }

    public CgroupChange DecodeCgroup(ReadOnlySpan<byte> record)
    {
        ref readonly var header = ref SensorRecordHeader.Of(record);
        var path = Text(record, CgroupPath, U16(record, CgroupPathLen), PathMax);
        return new CgroupChange(header.Kind == SensorRecordKind.CgroupMkdir, U64(record, CgroupId), I32(record, CgroupLevel),
            KernelText.Decode(path), U64(record, CgroupContainer));
    }

    public unsafe RawEvent Decode(ReadOnlySpan<byte> record)
    {
        ref readonly var h = ref SensorRecordHeader.Of(record);
        string comm;
        fixed (byte* c = h.Comm)
        {
            var span = new ReadOnlySpan<byte>(c, 16);
            var end = span.IndexOf((byte)0);
            comm = _strings.Get(end < 0 ? span : span[..end]);
        }

        // One object per event, the hot path's main allocation: the kind's fields are read first, then set with the
        // common ones in a single initializer (a `with` per kind copied every event once more).
        string? executable = null, workingDirectory = null, file = null, dnsName = null, address = null;
        string[]? args = null;
        int child = 0, exitCode = 0, fileFlags = 0, dnsType = 0, port = 0;
        var transport = default(NetworkTransport);
        var resolution = default(PathResolution);
        switch (h.Kind)
        {
            case SensorRecordKind.Exec:
                executable = _strings.Get(Text(record, ExecPath, U16(record, ExecPathLen), PathMax));
                args = SplitArgs(record.Slice(ExecArgs, Math.Min((int)U16(record, ExecArgsLen), ArgsMax)),
                    (U16(record, ExecFlags) & ExecArgsTruncated) != 0);
                workingDirectory = U16(record, ExecCwdLen) is var cwd and > 0 ? _strings.Get(Text(record, ExecCwd, cwd, PathMax)) : null;
                break;
            case SensorRecordKind.Fork:
                child = (int)U32(record, ForkChildTgid);
                break;
            case SensorRecordKind.Exit:
                exitCode = DecodeExitCode(I32(record, ExitCode));
                break;
            case SensorRecordKind.Open:
                (file, resolution) = DecodeOpenPath(record);
                fileFlags = I32(record, OpenFlags);
                break;
            case SensorRecordKind.Connect:
                transport = (NetworkTransport)record[ConnectTransport];
                address = FormatAddress(U16(record, ConnectFamily), record.Slice(ConnectAddr, 16));
                port = U16(record, ConnectPort);
                break;
            case SensorRecordKind.Dns:
                dnsName = _strings.Get(Text(record, DnsName, U16(record, DnsNameLen), DnsNameMax));
                dnsType = U16(record, DnsQtype);
                transport = NetworkTransport.Udp;
                address = FormatAddress(U16(record, DnsFamily), record.Slice(DnsAddr, 16));
                port = U16(record, DnsPort);
                break;
            default:
                throw new ArgumentException($"{h.Kind} is not an activity record", nameof(record));
        }

        return new RawEvent
        {
            Kind = (EventKind)h.Kind,
            TimestampUs = _clock.ToUnixMicroseconds(h.KtimeNs),
            Pid = (int)h.Tgid,
            Tid = (int)h.Tid,
            Ppid = (int)h.Ppid,
            Uid = h.Uid,
            Gid = h.Gid,
            Comm = comm,
            ProcessStartUs = h.StartNs == 0 ? 0 : _clock.ToUnixMicroseconds(h.StartNs),
            ExecutablePath = executable,
            Args = args,
            WorkingDirectory = workingDirectory,
            ChildPid = child,
            ExitCode = exitCode,
            FilePath = file,
            FileFlags = fileFlags,
            FileResolution = resolution,
            DnsQuestionName = dnsName,
            DnsQuestionType = dnsType,
            Transport = transport,
            DestinationAddress = address,
            DestinationPort = port,
        };
    }

    /// <summary>An open's path is the opened file's, walked in the kernel; when that failed, the passed name joined to its
    /// lookup directory (here made lexically clean: <c>.</c>, <c>..</c> and repeated slashes) or the name as passed.</summary>
    private (string Path, PathResolution Resolution) DecodeOpenPath(ReadOnlySpan<byte> record)
    {
        var resolution = (PathResolution)record[OpenResolution];
        var path = _strings.Get(Text(record, OpenPath, U16(record, OpenPathLen), PathMax));
        if (resolution == PathResolution.Joined && path.StartsWith('/')) path = System.IO.Path.GetFullPath(path);
        else if (resolution is not (PathResolution.OpenedFile or PathResolution.Joined)) resolution = PathResolution.AsPassed;
        return (path, resolution);
    }

    /// <summary>task->exit_code: low 7 bits a terminating signal, else the status in bits 8–15. Shell convention:
    /// 128 + signal for a killed process.</summary>
    public static int DecodeExitCode(int raw) => (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f);

    /// <summary>The last argument when argv was cut (the kernel copies 1 KiB, the agent keeps <see cref="AgentOptions.MaxArgs"/>):
    /// shown as it is, and it makes a cut argv's signature differ from any whole argv's.</summary>
    public const string TruncatedArgv = "⟨argv truncated⟩";

    private string[] SplitArgs(ReadOnlySpan<byte> block, bool truncatedInKernel)
    {
        var count = 0;
        foreach (var b in block) if (b == 0) count++;
        if (!block.IsEmpty && block[^1] != 0) count++; // truncated last argument
        var truncated = truncatedInKernel || count > _maxArgs;
        var kept = Math.Min(count, _maxArgs);
        var args = new string[kept + (truncated ? 1 : 0)];
        for (var i = 0; i < kept; i++)
        {
            var end = block.IndexOf((byte)0);
            args[i] = _strings.Get(end < 0 ? block : block[..end]);
            block = end < 0 ? [] : block[(end + 1)..];
        }
        if (truncated) args[^1] = TruncatedArgv;
        return args;
    }

    private static string? FormatAddress(ushort family, ReadOnlySpan<byte> addr) => family switch
    {
        AfInet => new IPAddress(addr[..4]).ToString(),
        AfInet6 => new IPAddress(addr).ToString(),
        _ => null,
    };
}
