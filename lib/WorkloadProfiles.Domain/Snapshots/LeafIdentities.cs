using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Domain.Snapshots;

/// <summary>A leaf node's identity: its id, its normalized (and capped) key, and whether the cap truncated the key.</summary>
public readonly record struct LeafIdentity(ulong Id, string Key, bool Truncated);

/// <summary>
/// The identities of leaf nodes (file, DNS, network) by where they come from — the acting process node, the kind, the raw
/// value and a kind-specific detail — computed once and shared by the snapshot builders of every container of a stream
/// task. Neither the normalized key nor the id depends on the container (an id hashes the parent node id, the kind and the
/// key), so the containers of one image, which share their process node ids, share their leaves too: a container's first
/// window costs lookups, not a normalization and a hash per distinct path.
/// </summary>
/// <remarks>Not thread-safe (one per stream task, like the builders). Bounded: past <see cref="Capacity"/> entries it
/// starts over, which costs recomputation, never a different answer.</remarks>
public sealed class LeafIdentities
{
    private const int RecentSlots = 1_024;

    private readonly Dictionary<Source, LeafIdentity> _known = [];
    // The last lookups by the raw value's reference, in front of _known: the Avro decoder hands out one instance per
    // repeated value, so the common case is found without hashing the value's characters. A miss asks _known, by value.
    private readonly Recent[] _recent = new Recent[RecentSlots];

    /// <param name="maxKeyLength">Keys longer than this are truncated (<see cref="NodeIdentity.TruncateKey"/>); must be the
    /// <see cref="SnapshotLimits.MaxKeyLength"/> of the builders that share it.</param>
    /// <param name="capacity">Most entries kept.</param>
    public LeafIdentities(int maxKeyLength = NodeIdentity.DefaultMaxKeyLength, int capacity = 65_536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeyLength, 32);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        MaxKeyLength = maxKeyLength;
        Capacity = capacity;
    }

    public int MaxKeyLength { get; }

    public int Capacity { get; }

    /// <summary>Entries currently known.</summary>
    public int Count => _known.Count;

    /// <summary>The file leaf for <paramref name="path"/> under process node <paramref name="parent"/>.</summary>
    public LeafIdentity File(ulong parent, string path) => Get(parent, NodeKind.File, path, 0);

    /// <summary>The DNS leaf for <paramref name="questionName"/> under process node <paramref name="parent"/>.</summary>
    public LeafIdentity Dns(ulong parent, string questionName) => Get(parent, NodeKind.Dns, questionName, 0);

    /// <summary>The network leaf for a connection under process node <paramref name="parent"/>.</summary>
    public LeafIdentity Network(ulong parent, NetworkTransport transport, int port, string? address)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65_535);
        // The port and the transport make the detail (every other transport value is named "ip", as Unknown is); a null
        // address classes as "" does ("unknown").
        if (transport is not (NetworkTransport.Tcp or NetworkTransport.Udp)) transport = NetworkTransport.Unknown;
        return Get(parent, NodeKind.Network, address ?? "", (port << 2) | (int)transport);
    }

    /// <summary>What <see cref="File"/>, <see cref="Dns"/> and <see cref="Network"/> return, computed without the cache.</summary>
    public static LeafIdentity Compute(ulong parent, NodeKind kind, string raw, NetworkTransport transport, int port, string? address,
        int maxKeyLength)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var key = kind switch
        {
            NodeKind.File => NodeIdentity.FileKey(raw),
            NodeKind.Dns => NodeIdentity.DnsKey(raw),
            NodeKind.Network => NodeIdentity.NetworkKey(transport, port, address),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a leaf kind"),
        };
        var truncated = key.Length > maxKeyLength;
        if (truncated) key = NodeIdentity.TruncateKey(key, maxKeyLength);
        return new LeafIdentity(NodeIdentity.Compute(parent, kind, key), key, truncated);
    }

    private LeafIdentity Get(ulong parent, NodeKind kind, string raw, int detail)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ref var recent = ref _recent[(RuntimeHelpers.GetHashCode(raw) ^ (int)parent ^ (int)(parent >> 32) ^ detail) & (RecentSlots - 1)];
        if (ReferenceEquals(recent.Raw, raw) && recent.Parent == parent && recent.Kind == kind && recent.Detail == detail) return recent.Identity;
        var identity = Known(parent, kind, raw, detail);
        recent = new Recent { Raw = raw, Parent = parent, Kind = kind, Detail = detail, Identity = identity };
        return identity;
    }

    private LeafIdentity Known(ulong parent, NodeKind kind, string raw, int detail)
    {
        var source = new Source(parent, kind, raw, detail);
        if (_known.Count >= Capacity && !_known.ContainsKey(source)) _known.Clear();
        ref var identity = ref CollectionsMarshal.GetValueRefOrAddDefault(_known, source, out var cached);
        if (!cached)
        {
            identity = kind == NodeKind.Network
                ? Compute(parent, kind, raw, (NetworkTransport)(detail & 3), detail >> 2, raw, MaxKeyLength)
                : Compute(parent, kind, raw, NetworkTransport.Unknown, 0, null, MaxKeyLength);
        }
        return identity;
    }

    private readonly record struct Source(ulong Parent, NodeKind Kind, string Raw, int Detail);

    private struct Recent
    {
        public string? Raw;
        public ulong Parent;
        public NodeKind Kind;
        public int Detail;
        public LeafIdentity Identity;
    }
}
