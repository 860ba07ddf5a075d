using System.Text.RegularExpressions;

namespace WorkloadProfiles.ClickHouse.Tests;

/// <summary>
/// The analyst queries' parameter block: <c>WITH 'value' AS param_name, …</c> at the top of each file. Tests set
/// parameters the way an analyst does, by replacing those literals.
/// </summary>
public static partial class AnalystQuery
{
    /// <summary>The parameters a query declares, with their shipped values.</summary>
    public static IReadOnlyDictionary<string, string> Parameters(string text) =>
        Parameter().Matches(WithBlock(text)).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value.Replace("''", "'", StringComparison.Ordinal));

    /// <summary>The query with the given parameters' literals replaced (each must be declared).</summary>
    public static string WithParameters(string text, params (string Name, string Value)[] parameters)
    {
        var block = WithBlock(text);
        var edited = block;
        foreach (var (name, value) in parameters)
        {
            var pattern = new Regex($@"'(?:[^']|'')*'(?=\s+AS\s+{Regex.Escape(name)}\b)");
            if (!pattern.IsMatch(edited)) throw new ArgumentException($"the query declares no parameter {name}");
            edited = pattern.Replace(edited, $"'{value.Replace("'", "''", StringComparison.Ordinal)}'", 1);
        }

        return text.Replace(block, edited, StringComparison.Ordinal);
    }

    static string WithBlock(string text)
    {
        var start = text.IndexOf("WITH", StringComparison.Ordinal);
        var end = text.IndexOf("SELECT", start, StringComparison.Ordinal);
        return start < 0 || end < 0 ? "" : text[start..end];
    }

    [GeneratedRegex(@"'(?<value>(?:[^']|'')*)'\s+AS\s+(?<name>\w+)")]
    private static partial Regex Parameter();
}
