using System.Globalization;
using System.Text.RegularExpressions;

namespace WorkloadProfiles.Explorer.Profiles;

/// <summary>
/// Which of two versions of an image is the newer one. Tags that both read as version numbers (<c>1.27</c>,
/// <c>v2.10.1</c>, <c>3.0.0-rc1</c>) compare numerically, a pre-release below its release; other tags (<c>latest</c>,
/// <c>main-abc123</c>) by when their profile processed its first snapshot.
/// </summary>
internal static partial class VersionOrder
{
    public const string ByVersion = "version";
    public const string ByFirstSnapshot = "firstSnapshot";

    [GeneratedRegex(@"^v?(\d{1,9}(?:\.\d{1,9}){0,3})(?:-([0-9A-Za-z.-]+))?\z")]
    private static partial Regex VersionPattern();

    /// <returns>Whether <paramref name="tag"/> is newer than <paramref name="other"/>, and by which rule.</returns>
    public static (bool IsNewer, string By) Compare(string tag, long firstProcessedUs, string other, long otherFirstProcessedUs)
    {
        if (TryParse(tag, out var a) && TryParse(other, out var b))
        {
            var order = CompareVersions(a, b);
            if (order != 0) return (order > 0, ByVersion);
        }
        if (firstProcessedUs != otherFirstProcessedUs) return (firstProcessedUs > otherFirstProcessedUs, ByFirstSnapshot);
        return (string.CompareOrdinal(tag, other) > 0, ByFirstSnapshot);
    }

    private static bool TryParse(string tag, out (int[] Numbers, string? PreRelease) version)
    {
        version = default;
        var match = VersionPattern().Match(tag);
        if (!match.Success) return false;
        version = (match.Groups[1].Value.Split('.').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray(),
            match.Groups[2].Success ? match.Groups[2].Value : null);
        return true;
    }

    private static int CompareVersions((int[] Numbers, string? PreRelease) a, (int[] Numbers, string? PreRelease) b)
    {
        for (var i = 0; i < Math.Max(a.Numbers.Length, b.Numbers.Length); i++)
        {
            var order = (i < a.Numbers.Length ? a.Numbers[i] : 0).CompareTo(i < b.Numbers.Length ? b.Numbers[i] : 0);
            if (order != 0) return order;
        }
        return (a.PreRelease, b.PreRelease) switch
        {
            (null, null) => 0,
            (null, _) => 1,
            (_, null) => -1,
            _ => string.CompareOrdinal(a.PreRelease, b.PreRelease),
        };
    }
}
