using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Explorer.Api;
using WorkloadProfiles.Explorer.Data;

namespace WorkloadProfiles.Explorer.Profiles;

/// <summary>
/// Behaviours added and removed between two versions of an image. Node ids hash (parent id, kind, key), so the same
/// behaviour under the same process lineage has the same id in both profiles and the comparison is a set difference.
/// </summary>
internal static class ProfileComparer
{
    /// <param name="nodes">Nodes of the version being looked at.</param>
    /// <param name="otherNodes">Nodes of the version it is compared with.</param>
    public static ProfileComparison Compare(string image, string tag, string otherTag, IReadOnlyList<NodeRow> nodes, IReadOnlyList<NodeRow> otherNodes)
    {
        var ids = nodes.Select(n => n.NodeId).ToHashSet();
        var otherIds = otherNodes.Select(n => n.NodeId).ToHashSet();
        return new ProfileComparison(
            image, tag, otherTag,
            Added: Changes(nodes.Where(n => !otherIds.Contains(n.NodeId))),
            Removed: Changes(otherNodes.Where(n => !ids.Contains(n.NodeId))),
            Unchanged: nodes.Count(n => otherIds.Contains(n.NodeId)));
    }

    private static List<BehaviourChange> Changes(IEnumerable<NodeRow> nodes) => nodes
        .Select(n => new BehaviourChange(NodeIdentity.Format(n.NodeId), n.Kind, n.Key, string.Join(" › ", n.Ancestry), n.Commonality))
        .OrderBy(c => c.Path, StringComparer.Ordinal)
        .ToList();
}
