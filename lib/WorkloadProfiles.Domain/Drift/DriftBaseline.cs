using System.IO.Hashing;
using System.Text;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Domain.Drift;

/// <summary>
/// What drift needs of a profile, and nothing more: the set of its node ids, the (process node, argument signature)
/// pairs it saw, the process nodes whose signatures overflowed and the file nodes it saw written. Sorted arrays of 64-bit
/// hashes: 8 bytes per node and per signature, a binary search per lookup, no strings (a profile of 5,000 nodes is
/// ~40 KiB here against megabytes as a published record).
/// </summary>
/// <remarks>
/// A signature is held as a hash of (node id, text); a collision could hide an unseen signature, with probability ~n/2⁶⁴
/// per lookup. Immutable; built once per profile revision.
/// </remarks>
public sealed class DriftBaseline
{
    // "WPDrSig1": part of nothing persisted (baselines are rebuilt from profiles), so it may change between releases.
    private const long SignatureSeed = 0x5750_4472_5369_6731;

    private readonly ulong[] _nodes;
    private readonly ulong[] _signatures;
    private readonly ulong[] _overflowed;
    private readonly ulong[] _written;

    private DriftBaseline(ProfileKey key, ProfileStatus status, long snapshotCount, long revision,
        ulong[] nodes, ulong[] signatures, ulong[] overflowed, ulong[] written)
    {
        Key = key;
        Status = status;
        SnapshotCount = snapshotCount;
        Revision = revision;
        _nodes = nodes;
        _signatures = signatures;
        _overflowed = overflowed;
        _written = written;
    }

    public ProfileKey Key { get; }
    public ProfileStatus Status { get; }
    public long SnapshotCount { get; }
    public long Revision { get; }
    public int NodeCount => _nodes.Length;
    public int SignatureCount => _signatures.Length;

    /// <summary>Bytes this baseline holds (its arrays and object headers; the key's strings are shared with the profile).</summary>
    public long MemoryBytes => 4 * 24 + 64 + 8L * (_nodes.Length + _signatures.Length + _overflowed.Length + _written.Length);

    public static DriftBaseline From(SecurityProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var nodes = new ulong[profile.Nodes.Count];
        var signatures = new List<ulong>();
        var overflowed = new List<ulong>();
        var written = new List<ulong>();
        for (var i = 0; i < nodes.Length; i++)
        {
            var node = profile.Nodes[i];
            nodes[i] = node.Id;
            foreach (var signature in node.Signatures) signatures.Add(SignatureHash(node.Id, signature.Text));
            if (node.SignaturesOverflowed) overflowed.Add(node.Id);
            if (node.Kind == NodeKind.File && node.Access.HasFlag(FileAccessMode.Write)) written.Add(node.Id);
        }
        Array.Sort(nodes);
        return new DriftBaseline(profile.Key, profile.Status, profile.SnapshotCount, profile.Revision,
            nodes, Sorted(signatures), Sorted(overflowed), Sorted(written));
    }

    public bool Contains(ulong nodeId) => Array.BinarySearch(_nodes, nodeId) >= 0;

    /// <summary>Whether the process node ran with this argument signature in the profile, or kept too many to tell.</summary>
    public bool KnowsSignature(ulong processNodeId, string signature) =>
        Array.BinarySearch(_overflowed, processNodeId) >= 0 || Array.BinarySearch(_signatures, SignatureHash(processNodeId, signature)) >= 0;

    /// <summary>Whether the profile saw the file node opened for writing.</summary>
    public bool SawWritten(ulong fileNodeId) => Array.BinarySearch(_written, fileNodeId) >= 0;

    private static ulong[] Sorted(List<ulong> values)
    {
        var array = values.ToArray();
        Array.Sort(array);
        return array;
    }

    private static ulong SignatureHash(ulong nodeId, string signature)
    {
        var bytes = Encoding.UTF8.GetBytes(signature);
        var seed = unchecked(SignatureSeed ^ (long)nodeId);
        return XxHash64.HashToUInt64(bytes, seed);
    }
}
