using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Normalization;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Domain.Identity;

/// <summary>
/// Node identity (DESIGN "Node identity"): id = stable 64-bit hash of (parent id, kind, normalized key). The same behaviour
/// in two containers has the same id, so merging is a map union. The container root has id 0.
/// </summary>
/// <remarks>
/// The hash is XxHash64 with a fixed seed over <c>parent id (8 bytes, little endian) · kind (1 byte) · key (UTF-8)</c>, so an id
/// is the same in every process, machine and release; changing any of this changes every id in every stored profile.
/// </remarks>
public static class NodeIdentity
{
    public const ulong Root = 0;

    /// <summary>Keys longer than this are truncated (see <see cref="TruncateKey"/>); the snapshot builder's default cap.</summary>
    public const int DefaultMaxKeyLength = 1_024;

    // "WPNodeId" in ASCII. Part of the id format: never change it.
    private const long Seed = 0x5750_4E6F_6465_4964;

    public static ulong Compute(ulong parentId, NodeKind kind, string normalizedKey)
    {
        ArgumentNullException.ThrowIfNull(normalizedKey);
        var length = 9 + Encoding.UTF8.GetMaxByteCount(normalizedKey.Length);
        byte[]? rented = null;
        var buffer = length <= 1_024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, parentId);
            buffer[8] = (byte)kind;
            var written = 9 + Encoding.UTF8.GetBytes(normalizedKey, buffer[9..]);
            var id = XxHash64.HashToUInt64(buffer[..written], Seed);
            // 0 is the root: a real node never takes it.
            return id == Root ? 1 : id;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Formats an id the way expressions, links and ClickHouse show it: 16 lower-case hex digits.</summary>
    public static string Format(ulong id) => id.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>
    /// Process key: the normalized executable path, plus an argv pattern for interpreters and shells, so <c>sh -c *</c>,
    /// <c>sh -i</c>, <c>sh /app/run.sh</c> and <c>sh</c> are four different nodes (see <see cref="ProcessKeys"/>).
    /// </summary>
    /// <param name="args">process.args including argv[0], as in <see cref="RawEvent.Args"/>.</param>
    public static string ProcessKey(string executablePath, IReadOnlyList<string>? args) => ProcessKeys.Build(executablePath, args);

    /// <summary>
    /// The program a process runs, as rules and people name it: the executable's file name, or for the multi-call busybox
    /// binary the applet (<c>/bin/busybox</c> with argv <c>sh -c …</c> is <c>sh</c>).
    /// </summary>
    public static string ProgramName(string executablePath, IReadOnlyList<string>? args) => ProcessKeys.ProgramName(executablePath, args);

    /// <summary>
    /// Whether a program with this file name gets an argv pattern or applet after its path in its process key (shells,
    /// interpreters, busybox): readers of a key use it to tell the path from what follows, since paths may hold spaces.
    /// </summary>
    public static bool TakesArgumentPattern(ReadOnlySpan<char> fileName) => ProcessKeys.TakesArgumentPattern(fileName);

    public static string FileKey(string path) => PathNormalizer.Normalize(path);

    /// <summary>DNS key: the question name with ASCII letters lower-cased and one trailing dot removed; IDN (punycode or
    /// Unicode) is left as it came.</summary>
    public static string DnsKey(string questionName)
    {
        ArgumentNullException.ThrowIfNull(questionName);
        var name = questionName.AsSpan().Trim();
        if (name.EndsWith('.')) name = name[..^1];
        var needsLowering = false;
        foreach (var c in name) needsLowering |= char.IsAsciiLetterUpper(c);
        if (!needsLowering) return name.Length == questionName.Length ? questionName : name.ToString();
        return string.Create(name.Length, questionName, static (span, source) =>
        {
            var trimmed = source.AsSpan().Trim();
            for (var i = 0; i < span.Length; i++)
                span[i] = char.IsAsciiLetterUpper(trimmed[i]) ? (char)(trimmed[i] | 0x20) : trimmed[i];
        });
    }

    /// <summary>Network key: <c>tcp/443/public</c> — protocol, port, address class (<see cref="AddressClassOf"/>).</summary>
    public static string NetworkKey(NetworkTransport transport, int port, string? address) =>
        string.Create(CultureInfo.InvariantCulture, $"{TransportName(transport)}/{port}/{AddressClassOf(address)}");

    /// <summary>
    /// The class of a destination address: <c>loopback</c>, <c>private</c> (RFC 1918, 100.64/10 shared space, IPv6 ULA fc00::/7),
    /// <c>link-local</c>, <c>multicast</c>, <c>unspecified</c>, <c>public</c>, or <c>unknown</c> when it does not parse.
    /// IPv4-mapped IPv6 addresses are classed as their IPv4 address.
    /// </summary>
    public static string AddressClassOf(string? address)
    {
        if (string.IsNullOrWhiteSpace(address) || !IPAddress.TryParse(address.AsSpan().Trim(), out var ip)) return "unknown";
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            ip.TryWriteBytes(b, out _);
            return b switch
            {
                [0, 0, 0, 0] => "unspecified",
                [127, ..] => "loopback",
                [10, ..] or [192, 168, ..] => "private",
                [172, var s, ..] when s is >= 16 and <= 31 => "private",
                [100, var s, ..] when s is >= 64 and <= 127 => "private",
                [169, 254, ..] => "link-local",
                [var f, ..] when f is >= 224 and <= 239 => "multicast",
                _ => "public",
            };
        }
        if (ip.Equals(IPAddress.IPv6Any)) return "unspecified";
        if (IPAddress.IsLoopback(ip)) return "loopback";
        if (ip.IsIPv6LinkLocal) return "link-local";
        if (ip.IsIPv6Multicast) return "multicast";
        if (ip.IsIPv6UniqueLocal || ip.IsIPv6SiteLocal) return "private";
        return "public";
    }

    private static string TransportName(NetworkTransport transport) => transport switch
    {
        NetworkTransport.Tcp => "tcp",
        NetworkTransport.Udp => "udp",
        _ => "ip",
    };

    /// <summary>
    /// Truncates a key longer than <paramref name="maxLength"/> deterministically: its first characters, <c>…</c>, and the
    /// 16-hex XxHash64 of the whole key, so two long keys that differ only at the end stay different nodes.
    /// </summary>
    public static string TruncateKey(string key, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 32);
        if (key.Length <= maxLength) return key;
        var keep = maxLength - 17;
        if (char.IsHighSurrogate(key[keep - 1])) keep--;
        var hash = Compute(Root, NodeKind.Process, key);
        return string.Concat(key.AsSpan(0, keep), "…", Format(hash));
    }

    /// <summary>The id of the node a signal's behaviour maps to, walking its ancestry from the root.</summary>
    public static ulong ForBehaviour(Behaviour behaviour) => ForBehaviour(behaviour, DefaultMaxKeyLength);

    /// <summary>As <see cref="ForBehaviour(Behaviour)"/>, with the key cap the snapshots were built with.</summary>
    public static ulong ForBehaviour(Behaviour behaviour, int maxKeyLength)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        var process = ProcessNodeOf(behaviour.Ancestry, maxKeyLength);
        var leafKey = LeafKeyOf(behaviour);
        return leafKey is null ? process : Compute(process, behaviour.Kind, TruncateKey(leafKey, maxKeyLength));
    }

    /// <summary>The process node id of the last entry of a root-first ancestry (<see cref="Root"/> when it is empty).</summary>
    public static ulong ProcessNodeOf(IReadOnlyList<ProcessRef> ancestry, int maxKeyLength = DefaultMaxKeyLength)
    {
        ArgumentNullException.ThrowIfNull(ancestry);
        var id = Root;
        foreach (var process in ancestry)
            id = Compute(id, NodeKind.Process, TruncateKey(ProcessKey(process.ExecutablePath, process.Args), maxKeyLength));
        return id;
    }

    /// <summary>The process node ids of a root-first ancestry, one per entry (each the parent of the next).</summary>
    public static ulong[] ProcessNodesOf(IReadOnlyList<ProcessRef> ancestry, int maxKeyLength = DefaultMaxKeyLength)
    {
        ArgumentNullException.ThrowIfNull(ancestry);
        var ids = new ulong[ancestry.Count];
        var id = Root;
        for (var i = 0; i < ids.Length; i++)
            ids[i] = id = Compute(id, NodeKind.Process, TruncateKey(ProcessKey(ancestry[i].ExecutablePath, ancestry[i].Args), maxKeyLength));
        return ids;
    }

    /// <summary>The argument signature of every process of a root-first ancestry (<see cref="ArgumentSignature"/>).</summary>
    public static string[] SignaturesOf(IReadOnlyList<ProcessRef> ancestry)
    {
        ArgumentNullException.ThrowIfNull(ancestry);
        return [.. ancestry.Select(p => ArgumentSignature.Of(p.ExecutablePath, p.Args))];
    }

    /// <summary>The normalized (untruncated) leaf key of a behaviour, or null for a process behaviour.</summary>
    public static string? LeafKeyOf(Behaviour behaviour)
    {
        ArgumentNullException.ThrowIfNull(behaviour);
        return behaviour.Kind switch
        {
            NodeKind.Process => null,
            NodeKind.File => FileKey(behaviour.FilePath ?? ""),
            NodeKind.Dns => DnsKey(behaviour.DnsQuestionName ?? ""),
            NodeKind.Network => NetworkKey(behaviour.Transport, behaviour.DestinationPort, behaviour.DestinationAddress),
            _ => throw new ArgumentOutOfRangeException(nameof(behaviour), behaviour.Kind, "unknown node kind"),
        };
    }
}
