namespace WorkloadProfiles.Detection.Rules;

/// <summary>
/// Helper methods available in rule conditions, called as methods on a field: <c>process.name.In("sh", "bash")</c>,
/// <c>file.path.StartsWithAny("/etc/", "/usr/lib/")</c>, <c>process.args.Has("-i")</c>. A named list from the rule file's
/// <c>lists:</c> section can stand for the values: <c>process.name.In(shells)</c>. All comparisons are ordinal (byte-exact,
/// case-sensitive): paths and argv are case-sensitive on Linux, and DNS names are already lower-case.
/// </summary>
internal static class ConditionFunctions
{
    public static bool In(this string value, params string[] candidates) => Array.IndexOf(candidates, value) >= 0;

    public static bool In(this int value, params int[] candidates) => Array.IndexOf(candidates, value) >= 0;

    public static bool StartsWithAny(this string value, params string[] prefixes)
    {
        foreach (var p in prefixes)
        {
            if (value.StartsWith(p, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    public static bool EndsWithAny(this string value, params string[] suffixes)
    {
        foreach (var s in suffixes)
        {
            if (value.EndsWith(s, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    public static bool ContainsAny(this string value, params string[] parts)
    {
        foreach (var p in parts)
        {
            if (value.Contains(p, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>Whether any argument equals one of <paramref name="candidates"/>.</summary>
    public static bool Has(this IReadOnlyList<string> args, params string[] candidates)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (Array.IndexOf(candidates, args[i]) >= 0) return true;
        }
        return false;
    }

    /// <summary>The argument at <paramref name="index"/> (0 = argv[0]), or "" past the end.</summary>
    public static string At(this IReadOnlyList<string> args, int index) =>
        index >= 0 && index < args.Count ? args[index] : "";

    /// <summary>Glob match: <c>*</c> matches any run of characters (including '/'), <c>?</c> exactly one.</summary>
    public static bool Glob(this string value, string pattern) => GlobMatch(value, pattern);

    // Iterative wildcard matching with single-star backtracking: linear in practice, no allocation, no regex.
    internal static bool GlobMatch(ReadOnlySpan<char> text, ReadOnlySpan<char> pattern)
    {
        int t = 0, p = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                t++;
                p++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starP = p++;
                starT = t;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
