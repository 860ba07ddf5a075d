using System.Numerics;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Domain.Profiles;

public enum MergeOutcome
{
    Applied,
    RejectedStable,
    Duplicate,
    WrongProfile,
    /// <summary>The profile had no room left under <see cref="ProfilePolicy.MaxBytes"/> even for the snapshot's ids.</summary>
    RejectedFull,
}

/// <summary>
/// The mutable state of one profile: merges snapshots (a map union on node ids), keeps per-node snapshot and container
/// counts and Σsₙ, Σsₙ² so profile commonality updates incrementally, and runs the status machine with an injected clock.
/// </summary>
/// <remarks>
/// The published form (<see cref="ToProfile"/>) depends only on the set of snapshots merged and the clock values passed in,
/// never on merge order: nodes are sorted by id, snapshot/container/host lists sorted ordinally. Containers get an ordinal
/// in merge order internally (a bit per node); publishing maps the bits to the sorted container order.
/// Not thread-safe: one aggregate per profile key, owned by one stream task.
/// </remarks>
public sealed class ProfileAggregate
{
    private readonly Dictionary<ulong, NodeState> _nodes = [];
    private readonly HashSet<string> _snapshotIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _containerOrdinals = new(StringComparer.Ordinal);
    private readonly List<string> _containerIds = [];
    private readonly HashSet<string> _hostNames = new(StringComparer.Ordinal);
    private readonly long _stableAfterUs;
    private long _sumS;
    private long _sumS2;
    private long _mergeSequence;
    // Upper bound of the encoded profile, kept as it grows (EncodedSize): the image, the id lists, and per node its fixed
    // part and key; the container bits (one bit per container on every node) are added when it is asked for.
    private readonly long _headerBytes;
    private long _listBytes;
    private long _nodeBytes;

    public ProfileAggregate(ProfileKey key, ProfilePolicy? policy = null)
    {
        if (string.IsNullOrEmpty(key.ImageName) || string.IsNullOrEmpty(key.ImageTag))
            throw new ArgumentException($"profile key '{key}' needs an image name and a tag", nameof(key));
        Key = key;
        Policy = policy ?? ProfilePolicy.Default;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Policy.StableSnapshotCount, "policy.StableSnapshotCount");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Policy.MaxSignaturesPerNode, "policy.MaxSignaturesPerNode");
        _stableAfterUs = Policy.StableAfter.Ticks / TimeSpan.TicksPerMicrosecond;
        _headerBytes = EncodedSize.ProfileFixed + EncodedSize.Text(key.ImageName) + EncodedSize.Text(key.ImageTag);
    }

    /// <summary>Rebuilds the aggregate from its published form (e.g. restored from a changelog).</summary>
    /// <exception cref="FormatException">The profile is inconsistent (a node's container bits disagree with its container count, …).</exception>
    public static ProfileAggregate FromProfile(SecurityProfile profile, ProfilePolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var aggregate = new ProfileAggregate(profile.Key, policy)
        {
            Status = profile.Status,
            SnapshotCount = profile.SnapshotCount,
            RejectedSnapshots = profile.RejectedSnapshots,
            DuplicateSnapshots = profile.DuplicateSnapshots,
            FirstProcessedUs = profile.FirstProcessedUs,
            LastUpdatedUs = profile.LastUpdatedUs,
            StableSinceUs = profile.StableSinceUs,
            Revision = profile.Revision,
            DroppedNodes = profile.DroppedNodes,
        };
        foreach (var id in profile.SnapshotIds)
        {
            if (aggregate._snapshotIds.Add(id)) aggregate._listBytes += EncodedSize.Text(id);
        }
        foreach (var id in profile.ContainerIds)
        {
            if (!aggregate._containerOrdinals.TryAdd(id, aggregate._containerIds.Count))
                throw new FormatException($"profile {profile.Key}: container id '{id}' appears twice");
            aggregate._containerIds.Add(id);
            aggregate._listBytes += EncodedSize.Text(id);
        }
        foreach (var host in profile.HostNames)
        {
            if (aggregate._hostNames.Add(host)) aggregate._listBytes += EncodedSize.Text(host);
        }

        foreach (var node in profile.Nodes)
        {
            var bits = ContainerSet.FromBytes(node.ContainerBits);
            if (ContainerSet.Count(bits) != node.ContainerCount)
                throw new FormatException($"profile {profile.Key}: node {NodeIdentity.Format(node.Id)} has {node.ContainerCount} containers but its container bits name {ContainerSet.Count(bits)}");
            if (ContainerSet.Highest(bits) >= aggregate._containerIds.Count)
                throw new FormatException($"profile {profile.Key}: node {NodeIdentity.Format(node.Id)} names a container beyond the {aggregate._containerIds.Count} listed");
            if (node.SnapshotCount <= 0 || node.SnapshotCount > profile.SnapshotCount)
                throw new FormatException($"profile {profile.Key}: node {NodeIdentity.Format(node.Id)} has snapshot count {node.SnapshotCount} outside 1..{profile.SnapshotCount}");
            var state = new NodeState(node.Id, node.ParentId, node.Kind, node.Key)
            {
                SnapshotCount = node.SnapshotCount,
                ContainerCount = node.ContainerCount,
                Containers = bits,
                EventCount = node.EventCount,
                FirstSeenUs = node.FirstSeenUs,
                LastSeenUs = node.LastSeenUs,
                Access = node.Access,
                SignaturesOverflowed = node.SignaturesOverflowed,
            };
            foreach (var signature in node.Signatures)
            {
                if (signature.SnapshotCount <= 0 || signature.SnapshotCount > node.SnapshotCount)
                    throw new FormatException($"profile {profile.Key}: a signature of node {NodeIdentity.Format(node.Id)} has snapshot count {signature.SnapshotCount} outside 1..{node.SnapshotCount}");
                if (!(state.Signatures ??= new(StringComparer.Ordinal)).TryAdd(signature.Text, signature.SnapshotCount))
                    throw new FormatException($"profile {profile.Key}: node {NodeIdentity.Format(node.Id)} lists a signature twice");
                aggregate._nodeBytes += SignatureBytes(signature.Text);
            }
            if (!aggregate._nodes.TryAdd(node.Id, state))
                throw new FormatException($"profile {profile.Key}: node {NodeIdentity.Format(node.Id)} appears twice");
            aggregate._nodeBytes += NodeBytes(node.Key);
            aggregate._sumS += node.SnapshotCount;
            aggregate._sumS2 += node.SnapshotCount * node.SnapshotCount;
        }
        return aggregate;
    }

    public ProfileKey Key { get; }
    public ProfilePolicy Policy { get; }
    public ProfileStatus Status { get; private set; }

    /// <summary>S: snapshots merged.</summary>
    public long SnapshotCount { get; private set; }
    public long ContainerCount => _containerIds.Count;
    public long HostCount => _hostNames.Count;
    public int NodeCount => _nodes.Count;
    public long RejectedSnapshots { get; private set; }
    public long DuplicateSnapshots { get; private set; }
    public long FirstProcessedUs { get; private set; }
    public long LastUpdatedUs { get; private set; }
    public long? StableSinceUs { get; private set; }
    public long Revision { get; private set; }

    /// <summary>New nodes not taken because the profile reached <see cref="ProfilePolicy.MaxBytes"/>.</summary>
    public long DroppedNodes { get; private set; }

    /// <summary>An upper bound of the published profile's encoded size (never below it).</summary>
    public long EstimatedBytes => _headerBytes + _listBytes + _nodeBytes + (long)_nodes.Count * BitsBytes(_containerIds.Count);

    /// <summary>
    /// Profile commonality Σsₙ(sₙ−1) / ((S−1)·Σsₙ) from the running sums (Σsₙ(sₙ−1) = Σsₙ² − Σsₙ). Edge cases: S = 0 → 0
    /// (nothing learnt yet); S = 1 → 1; all snapshots empty (Σsₙ = 0) → 1, since they are identical.
    /// </summary>
    public double Commonality => PooledCommonality(SnapshotCount, _sumS, _sumS2);

    /// <summary>Merges one snapshot at wall-clock <paramref name="nowUs"/>; Stable profiles reject (counted), replays are duplicates (counted).</summary>
    /// <remarks>
    /// Order of checks: another image@version → <see cref="MergeOutcome.WrongProfile"/> (nothing changes); an id already merged →
    /// <see cref="MergeOutcome.Duplicate"/>; the time rule is evaluated at <paramref name="nowUs"/>; Stable →
    /// <see cref="MergeOutcome.RejectedStable"/>. Otherwise the snapshot is applied and the count rule evaluated.
    /// </remarks>
    public MergeOutcome Merge(ActivitySnapshot snapshot, long nowUs)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Container.ProfileKey is not { } key || key != Key) return MergeOutcome.WrongProfile;
        if (_snapshotIds.Contains(snapshot.SnapshotId))
        {
            DuplicateSnapshots++;
            Revision++;
            return MergeOutcome.Duplicate;
        }
        Tick(nowUs);
        if (Status == ProfileStatus.Stable)
        {
            RejectedSnapshots++;
            Revision++;
            return MergeOutcome.RejectedStable;
        }

        // The bound: the snapshot's ids must fit, and new nodes may fill the profile up to nine tenths of it.
        var newContainer = !_containerOrdinals.ContainsKey(snapshot.Container.Id);
        var newHost = !_hostNames.Contains(snapshot.HostName);
        var listGrowth = EncodedSize.Text(snapshot.SnapshotId) + (newContainer ? EncodedSize.Text(snapshot.Container.Id) : 0)
                         + (newHost ? EncodedSize.Text(snapshot.HostName) : 0);
        var bits = BitsBytes(_containerIds.Count + (newContainer ? 1 : 0));
        var withoutNewNodes = _headerBytes + _listBytes + listGrowth + _nodeBytes + (long)_nodes.Count * bits;
        if (withoutNewNodes > Policy.MaxBytes)
        {
            RejectedSnapshots++;
            Revision++;
            return MergeOutcome.RejectedFull;
        }
        var admitted = AdmitNewNodes(snapshot, Policy.MaxBytes - Policy.MaxBytes / 10 - withoutNewNodes, bits);

        if (SnapshotCount == 0) FirstProcessedUs = nowUs;
        _snapshotIds.Add(snapshot.SnapshotId);
        _listBytes += listGrowth;
        SnapshotCount++;
        _hostNames.Add(snapshot.HostName);
        if (!_containerOrdinals.TryGetValue(snapshot.Container.Id, out var container))
        {
            _containerOrdinals[snapshot.Container.Id] = container = _containerIds.Count;
            _containerIds.Add(snapshot.Container.Id);
        }

        var sequence = ++_mergeSequence;
        foreach (var node in snapshot.Nodes)
        {
            if (!_nodes.TryGetValue(node.Id, out var state))
            {
                if (admitted is not null && !admitted.Contains(node.Id)) continue;
                state = new NodeState(node.Id, node.ParentId, node.Kind, node.Key) { FirstSeenUs = node.FirstSeenUs, LastSeenUs = node.LastSeenUs };
                _nodes.Add(node.Id, state);
                _nodeBytes += NodeBytes(node.Key);
            }
            state.EventCount += node.EventCount;
            state.FirstSeenUs = Math.Min(state.FirstSeenUs, node.FirstSeenUs);
            state.LastSeenUs = Math.Max(state.LastSeenUs, node.LastSeenUs);
            state.Access |= node.Access;
            // A malformed snapshot listing a node twice still counts it once.
            if (state.LastMerge == sequence) continue;
            MergeSignatures(state, node);
            state.LastMerge = sequence;
            _sumS2 += 2 * state.SnapshotCount + 1; // (s+1)² − s²
            _sumS++;
            state.SnapshotCount++;
            if (ContainerSet.Add(ref state.Containers, container)) state.ContainerCount++;
        }

        LastUpdatedUs = nowUs;
        Revision++;
        if (SnapshotCount >= Policy.StableSnapshotCount) BecomeStable(nowUs);
        return MergeOutcome.Applied;
    }

    /// <summary>Counts the node's signatures of one snapshot; a signature beyond the bound (or a snapshot that dropped some)
    /// marks the node overflowed for good: from then on an unknown signature may have been normal.</summary>
    private void MergeSignatures(NodeState state, SnapshotNode node)
    {
        if (node.SignaturesOverflowed) state.SignaturesOverflowed = true;
        if (node.Signatures.Count == 0) return;
        state.Signatures ??= new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var signature in node.Signatures.Distinct(StringComparer.Ordinal))
        {
            if (state.Signatures.TryGetValue(signature, out var count))
            {
                state.Signatures[signature] = count + 1;
                continue;
            }
            // A new signature must also fit the byte bound (a signature is up to 1 KiB): one that does not overflows the
            // node, which only ever withholds suggestions.
            var bytes = SignatureBytes(signature);
            if (state.Signatures.Count < Policy.MaxSignaturesPerNode && EstimatedBytes + bytes <= Policy.MaxBytes - Policy.MaxBytes / 10)
            {
                state.Signatures.Add(signature, 1);
                _nodeBytes += bytes;
            }
            else state.SignaturesOverflowed = true;
        }
    }

    private static long SignatureBytes(string signature) => EncodedSize.Text(signature) + EncodedSize.ProfileSignatureFixed;

    /// <summary>
    /// Which of the snapshot's new nodes fit in <paramref name="budget"/> bytes: null when all of them do (the common
    /// case, one pass). Otherwise the tree is taken top-down — a node only with its parent, children in id order — until
    /// the budget is spent, so the profile stays a connected tree; the rest are counted in <see cref="DroppedNodes"/>.
    /// </summary>
    private HashSet<ulong>? AdmitNewNodes(ActivitySnapshot snapshot, long budget, int bits)
    {
        long cost = 0;
        var fresh = new Dictionary<ulong, SnapshotNode>();
        foreach (var node in snapshot.Nodes)
        {
            if (_nodes.ContainsKey(node.Id) || !fresh.TryAdd(node.Id, node)) continue;
            cost += NodeBytes(node.Key) + bits;
        }
        if (cost <= budget) return null;

        var admitted = new HashSet<ulong>();
        var children = fresh.Values.ToLookup(n => n.ParentId);
        // Roots of what is new: under the container root, under a node the profile has, or under nothing the snapshot lists.
        var pending = new Queue<SnapshotNode>(fresh.Values
            .Where(n => n.ParentId == NodeIdentity.Root || _nodes.ContainsKey(n.ParentId) || !fresh.ContainsKey(n.ParentId))
            .OrderBy(n => n.Id));
        long spent = 0;
        while (pending.Count > 0)
        {
            var node = pending.Dequeue();
            var nodeCost = NodeBytes(node.Key) + bits;
            if (spent + nodeCost > budget) continue;
            spent += nodeCost;
            admitted.Add(node.Id);
            foreach (var child in children[node.Id].OrderBy(c => c.Id))
            {
                if (!admitted.Contains(child.Id)) pending.Enqueue(child);
            }
        }
        DroppedNodes += fresh.Count - admitted.Count;
        return admitted;
    }

    private static long NodeBytes(string key) => EncodedSize.ProfileNodeFixed + EncodedSize.Text(key);

    private static int BitsBytes(int containers) => (containers + 7) / 8;

    /// <summary>Applies the time rule without a snapshot (the 48 h punctuator). True if the status changed.</summary>
    /// <remarks>The clock starts with the first processed snapshot: a profile that never merged one stays Learning.</remarks>
    public bool Tick(long nowUs)
    {
        if (Status == ProfileStatus.Stable || SnapshotCount == 0) return false;
        if (nowUs - FirstProcessedUs < _stableAfterUs) return false;
        BecomeStable(nowUs);
        return true;
    }

    public SecurityProfile ToProfile()
    {
        var order = SortedContainerOrder(out var identity);
        var s = (double)SnapshotCount;
        var c = (double)_containerIds.Count;
        var nodes = new ProfileNode[_nodes.Count];
        var i = 0;
        foreach (var state in _nodes.Values)
        {
            nodes[i++] = new ProfileNode
            {
                Id = state.Id,
                ParentId = state.ParentId,
                Kind = state.Kind,
                Key = state.Key,
                SnapshotCount = state.SnapshotCount,
                ContainerCount = state.ContainerCount,
                EventCount = state.EventCount,
                FirstSeenUs = state.FirstSeenUs,
                LastSeenUs = state.LastSeenUs,
                Access = state.Access,
                Commonality = s == 0 ? 0 : state.SnapshotCount / s,
                ContainerCommonality = c == 0 ? 0 : state.ContainerCount / c,
                ContainerBits = ContainerSet.ToBytes(state.Containers, identity ? null : order),
                Signatures = state.Signatures is null ? [] :
                    [.. state.Signatures.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new ProfileSignature(p.Key, p.Value, s == 0 ? 0 : p.Value / s))],
                SignaturesOverflowed = state.SignaturesOverflowed,
            };
        }
        Array.Sort(nodes, static (a, b) => a.Id.CompareTo(b.Id));

        var snapshotIds = _snapshotIds.ToArray();
        Array.Sort(snapshotIds, StringComparer.Ordinal);
        var containerIds = _containerIds.ToArray();
        Array.Sort(containerIds, StringComparer.Ordinal);
        var hostNames = _hostNames.ToArray();
        Array.Sort(hostNames, StringComparer.Ordinal);
        return new SecurityProfile
        {
            Key = Key,
            Status = Status,
            SnapshotCount = SnapshotCount,
            ContainerCount = _containerIds.Count,
            HostCount = _hostNames.Count,
            RejectedSnapshots = RejectedSnapshots,
            DuplicateSnapshots = DuplicateSnapshots,
            DroppedNodes = DroppedNodes,
            FirstProcessedUs = FirstProcessedUs,
            LastUpdatedUs = LastUpdatedUs,
            StableSinceUs = StableSinceUs,
            Commonality = Commonality,
            Revision = Revision,
            Nodes = nodes,
            SnapshotIds = snapshotIds,
            ContainerIds = containerIds,
            HostNames = hostNames,
        };
    }

    internal static double PooledCommonality(long snapshots, long sumS, long sumS2)
    {
        if (snapshots == 0) return 0;
        if (snapshots == 1 || sumS == 0) return 1;
        var value = (double)(sumS2 - sumS) / ((snapshots - 1) * (double)sumS);
        return Math.Clamp(value, 0, 1);
    }

    private void BecomeStable(long nowUs)
    {
        Status = ProfileStatus.Stable;
        StableSinceUs = nowUs;
        LastUpdatedUs = nowUs;
        Revision++;
    }

    /// <summary>order[ordinal] = the container's index in the sorted id list; <paramref name="identity"/> when they coincide.</summary>
    private int[] SortedContainerOrder(out bool identity)
    {
        var sorted = new int[_containerIds.Count];
        for (var i = 0; i < sorted.Length; i++) sorted[i] = i;
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(_containerIds[a], _containerIds[b]));
        var order = new int[sorted.Length];
        identity = true;
        for (var rank = 0; rank < sorted.Length; rank++)
        {
            order[sorted[rank]] = rank;
            identity &= sorted[rank] == rank;
        }
        return order;
    }

    private sealed class NodeState(ulong id, ulong parentId, NodeKind kind, string key)
    {
        public ulong Id { get; } = id;
        public ulong ParentId { get; } = parentId;
        public NodeKind Kind { get; } = kind;
        public string Key { get; } = key;
        public long SnapshotCount { get; set; }
        public long ContainerCount { get; set; }
        public ulong[] Containers = [];
        public long EventCount { get; set; }
        public long FirstSeenUs { get; set; }
        public long LastSeenUs { get; set; }
        public FileAccessMode Access { get; set; }
        public long LastMerge { get; set; }
        /// <summary>Process nodes: snapshots containing each signature.</summary>
        public Dictionary<string, long>? Signatures { get; set; }
        public bool SignaturesOverflowed { get; set; }
    }

    /// <summary>A small growable bit set of container ordinals.</summary>
    private static class ContainerSet
    {
        public static bool Add(ref ulong[] words, int ordinal)
        {
            var word = ordinal >> 6;
            if (word >= words.Length) Array.Resize(ref words, Math.Max(word + 1, words.Length * 2));
            var mask = 1UL << (ordinal & 63);
            if ((words[word] & mask) != 0) return false;
            words[word] |= mask;
            return true;
        }

        public static long Count(ulong[] words)
        {
            long count = 0;
            foreach (var w in words) count += BitOperations.PopCount(w);
            return count;
        }

        public static int Highest(ulong[] words)
        {
            for (var i = words.Length - 1; i >= 0; i--)
                if (words[i] != 0) return (i << 6) + 63 - BitOperations.LeadingZeroCount(words[i]);
            return -1;
        }

        public static ulong[] FromBytes(byte[]? bytes)
        {
            if (bytes is null || bytes.Length == 0) return [];
            var words = new ulong[(bytes.Length + 7) / 8];
            for (var i = 0; i < bytes.Length; i++) words[i >> 3] |= (ulong)bytes[i] << ((i & 7) * 8);
            return words;
        }

        /// <summary>Bytes of the set (trailing zero bytes trimmed), with ordinals remapped through <paramref name="order"/> if given.</summary>
        public static byte[] ToBytes(ulong[] words, int[]? order)
        {
            if (order is not null)
            {
                var remapped = Array.Empty<ulong>();
                for (var w = 0; w < words.Length; w++)
                {
                    for (var bits = words[w]; bits != 0; bits &= bits - 1)
                        Add(ref remapped, order[(w << 6) + BitOperations.TrailingZeroCount(bits)]);
                }
                words = remapped;
            }
            var highest = Highest(words);
            var bytes = new byte[highest < 0 ? 0 : (highest >> 3) + 1];
            for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)(words[i >> 3] >> ((i & 7) * 8));
            return bytes;
        }
    }
}
