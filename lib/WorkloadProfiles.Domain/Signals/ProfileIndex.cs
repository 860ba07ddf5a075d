using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Domain.Signals;

/// <summary>
/// A published profile with its nodes indexed by id, so matching a signal is one dictionary lookup, not a scan of thousands
/// of nodes. <see cref="For"/> caches one index per <see cref="SecurityProfile"/> instance (weakly, so it goes with the profile):
/// a profile table that replaces its value on each update builds each index once.
/// </summary>
public sealed class ProfileIndex
{
    private static readonly ConditionalWeakTable<SecurityProfile, ProfileIndex> Cache = new();
    private readonly Dictionary<ulong, ProfileNode> _nodes;

    public ProfileIndex(SecurityProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Profile = profile;
        _nodes = new Dictionary<ulong, ProfileNode>(profile.Nodes.Count);
        foreach (var node in profile.Nodes) _nodes[node.Id] = node;
    }

    /// <summary>The cached index of <paramref name="profile"/> (built on first use).</summary>
    public static ProfileIndex For(SecurityProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return Cache.GetValue(profile, static p => new ProfileIndex(p));
    }

    public SecurityProfile Profile { get; }
    public int Count => _nodes.Count;

    public bool TryGetNode(ulong id, [NotNullWhen(true)] out ProfileNode? node) => _nodes.TryGetValue(id, out node);
}
