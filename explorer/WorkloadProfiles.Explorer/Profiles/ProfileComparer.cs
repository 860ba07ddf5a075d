using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Explorer.Api;
using WorkloadProfiles.Explorer.Data;

namespace WorkloadProfiles.Explorer.Profiles;

/// <summary>
/// Behaviours added and removed between two versions of an image, relative to the newer one (<see cref="VersionOrder"/>):
/// added = in the newer version only, removed = in the older only. Node ids hash (parent id, kind, key), so the same
/// behaviour under the same process lineage has the same id in both profiles and the comparison is a set difference.
/// </summary>
internal static class ProfileComparer
{
    /// <param name="profile">The version being looked at, with its nodes.</param>
    /// <param name="other">The version it is compared with, with its nodes.</param>
    public static ProfileComparison Compare(
        (ProfileRow Profile, IReadOnlyList<NodeRow> Nodes) profile, (ProfileRow Profile, IReadOnlyList<NodeRow> Nodes) other)
    {
        var (isNewer, by) = VersionOrder.Compare(profile.Profile.ImageTag, profile.Profile.FirstProcessedUs, other.Profile.ImageTag, other.Profile.FirstProcessedUs);
        var (newer, older) = isNewer ? (profile, other) : (other, profile);
        var newerIds = newer.Nodes.Select(n => n.NodeId).ToHashSet();
        var olderIds = older.Nodes.Select(n => n.NodeId).ToHashSet();
        var added = Changes(newer.Nodes.Where(n => !olderIds.Contains(n.NodeId)));
        var removed = Changes(older.Nodes.Where(n => !newerIds.Contains(n.NodeId)));
        return new ProfileComparison(
            profile.Profile.ImageName, profile.Profile.ImageTag, other.Profile.ImageTag, newer.Profile.ImageTag, older.Profile.ImageTag, by,
            added, removed, newer.Nodes.Count(n => olderIds.Contains(n.NodeId)), ByKind(added), ByKind(removed));
    }

    private static List<BehaviourChange> Changes(IEnumerable<NodeRow> nodes) => nodes
        .Select(n => new BehaviourChange(NodeIdentity.Format(n.NodeId), n.Kind, n.Key, string.Join(" › ", n.Ancestry), n.Commonality))
        .OrderBy(c => c.Path, StringComparer.Ordinal)
        .ToList();

    private static KindCounts ByKind(List<BehaviourChange> changes) => new(
        Count(changes, "process"), Count(changes, "file"), Count(changes, "dns"), Count(changes, "network"));

    private static ulong Count(List<BehaviourChange> changes, string kind) => (ulong)changes.Count(c => c.Kind == kind);
}
