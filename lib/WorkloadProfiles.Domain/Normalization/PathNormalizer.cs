namespace WorkloadProfiles.Domain.Normalization;

/// <summary>
/// Reduces a path so random names do not explode the tree (DESIGN "Path normalization"): /proc/&lt;pid&gt;/… → /proc/*/…,
/// container ids, hex/uuid and long digit runs in a segment → *. Pure, deterministic and idempotent.
/// Sibling-pattern collapse needs the set of siblings and lives in <see cref="SiblingCollapse"/>.
/// </summary>
public static class PathNormalizer
{
    public static string Normalize(string path) => throw new NotImplementedException();
}

/// <summary>Collapses many siblings of one shape under a directory into a pattern once there are more than a threshold of them.</summary>
public sealed class SiblingCollapse
{
    public SiblingCollapse(int threshold = 16) => Threshold = threshold;
    public int Threshold { get; }
}
