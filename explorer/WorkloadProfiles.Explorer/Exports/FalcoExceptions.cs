using System.Globalization;
using System.Text;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Profiles;
using YamlDotNet.Serialization;

namespace WorkloadProfiles.Explorer.Exports;

/// <summary>
/// A Falco allow-list for the processes of one profile: a list of executables, a macro that recognises them in this
/// image@version, and, for each rule asked for, an exception appended to that rule. Executables the profile stores as
/// a pattern (a normalized path with <c>*</c>) go in a separate exception compared with <c>glob</c>, since Falco's
/// <c>=</c> and <c>in</c> are exact.
/// </summary>
internal static class FalcoExceptions
{
    public static string Render(ProfileRow profile, IReadOnlyList<NodeRow> nodes, IReadOnlyList<string> rules, double minCommonality)
    {
        var executables = nodes
            .Where(n => n.Kind == "process" && n.Commonality >= minCommonality)
            .Select(n => ProcessTree.ExecutableOf(n.Key))
            .Where(path => path.StartsWith('/'))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var exact = executables.Where(p => !p.Contains('*', StringComparison.Ordinal)).ToList();
        var patterns = executables.Where(p => p.Contains('*', StringComparison.Ordinal)).ToList();

        var name = Identifier(profile.ImageName, profile.ImageTag);
        var scope = $"container.image.repository = \"{profile.ImageName}\" and container.image.tag = \"{profile.ImageTag}\"";
        var processMatch = new List<string>();
        if (exact.Count > 0) processMatch.Add($"proc.exepath in ({name}_processes)");
        processMatch.AddRange(patterns.Select(p => $"proc.exepath glob {Quoted(p)}"));

        var document = new List<object>
        {
            new Dictionary<string, object> { ["list"] = $"{name}_processes", ["items"] = exact },
            new Dictionary<string, object>
            {
                ["macro"] = $"{name}_known_processes",
                ["condition"] = processMatch.Count == 0 ? "never_true" : $"({scope} and ({string.Join(" or ", processMatch)}))",
            },
        };
        foreach (var rule in rules)
        {
            var exceptions = new List<object>();
            if (exact.Count > 0) exceptions.Add(Exception($"{name}_profile", "=", exact, profile));
            if (patterns.Count > 0) exceptions.Add(Exception($"{name}_profile_patterns", "glob", patterns, profile));
            document.Add(new Dictionary<string, object>
            {
                ["rule"] = rule,
                ["exceptions"] = exceptions,
                ["override"] = new Dictionary<string, object> { ["exceptions"] = "append" },
            });
        }

        var header = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Falco allow-list from the WorkloadProfiles security profile {profile.ImageName}@{profile.ImageTag}")
            .AppendLine(CultureInfo.InvariantCulture, $"# ({profile.Status}, {profile.SnapshotCount} snapshots, profile commonality {profile.Commonality:0.###}); processes with node commonality >= {minCommonality:0.###}.")
            .AppendLine(rules.Count == 0
                ? $"# Add 'and not {name}_known_processes' to a rule's condition, or export with ?rule=<rule name> for exception blocks."
                : "# Each rule block appends exceptions to an existing rule (Falco >= 0.28).");
        return header + new SerializerBuilder().Build().Serialize(document);
    }

    private static Dictionary<string, object> Exception(string name, string comparison, List<string> paths, ProfileRow profile) => new()
    {
        ["name"] = name,
        ["fields"] = new[] { "container.image.repository", "container.image.tag", "proc.exepath" },
        ["comps"] = new[] { "=", "=", comparison },
        ["values"] = paths.Select(p => new[] { profile.ImageName, profile.ImageTag, p }).ToList(),
    };

    /// <summary>A string literal of a Falco condition: double quotes, with backslash and quote escaped (a path may hold both).</summary>
    private static string Quoted(string text) => $"\"{text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    /// <summary>A Falco list/macro name: <c>wp_</c> plus the image and tag with everything but letters and digits as <c>_</c>.</summary>
    public static string Identifier(string image, string tag)
    {
        var text = new StringBuilder("wp_");
        foreach (var c in $"{image}_{tag}") text.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_');
        return text.ToString();
    }
}
