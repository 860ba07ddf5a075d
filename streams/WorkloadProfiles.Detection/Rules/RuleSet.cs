namespace WorkloadProfiles.Detection.Rules;

/// <summary>
/// A validated, compiled set of rules with unique ids. Loading either succeeds for every rule or throws a
/// <see cref="RuleLoadException"/> listing every problem: a half-loaded rule set would silently stop detecting.
/// </summary>
public sealed class RuleSet
{
    /// <summary>Manifest name of the built-in rule file (<c>rules/default.yaml</c>).</summary>
    public const string DefaultResourceName = "WorkloadProfiles.Detection.rules.default.yaml";

    private RuleSet(IReadOnlyList<CompiledRule> compiled)
    {
        Compiled = compiled;
        Rules = [.. compiled.Select(c => c.Rule)];
    }

    /// <summary>All rules, enabled or not, in file order.</summary>
    public IReadOnlyList<Rule> Rules { get; }

    internal IReadOnlyList<CompiledRule> Compiled { get; }

    /// <summary>Parses rules from YAML text; <paramref name="source"/> names it in error messages.</summary>
    public static RuleSet Parse(string yaml, string source = "<inline>") => Build([(yaml, source)]);

    /// <summary>Loads a rule file, or every <c>*.yaml</c>/<c>*.yml</c> file of a directory (ids unique across them).</summary>
    public static RuleSet Load(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path)
                .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (files.Count == 0)
                throw new RuleLoadException([new RuleLoadError(path, 0, null, "the rules directory holds no *.yaml or *.yml file")]);
            return Build([.. files.Select(f => (File.ReadAllText(f), f))]);
        }
        if (!File.Exists(path))
            throw new RuleLoadException([new RuleLoadError(path, 0, null, "no such rule file or directory")]);
        return Build([(File.ReadAllText(path), path)]);
    }

    /// <summary>The built-in rule set (<c>rules/default.yaml</c>, embedded).</summary>
    public static RuleSet LoadDefault() => Build([(DefaultYaml(), "default.yaml (embedded)")]);

    /// <summary>The rules <paramref name="options"/> select: <see cref="DetectionOptions.RulesPath"/> when set, else the built-in set.</summary>
    public static RuleSet Load(DetectionOptions options) =>
        string.IsNullOrWhiteSpace(options.RulesPath) ? LoadDefault() : Load(options.RulesPath);

    /// <summary>The text of the built-in rule file, e.g. as a starting point for a custom one.</summary>
    public static string DefaultYaml()
    {
        using var stream = typeof(RuleSet).Assembly.GetManifestResourceStream(DefaultResourceName)
            ?? throw new InvalidOperationException($"embedded resource {DefaultResourceName} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static RuleSet Build(IEnumerable<(string Yaml, string Source)> files)
    {
        var errors = new List<RuleLoadError>();
        var rules = new List<CompiledRule>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (yaml, source) in files)
        {
            foreach (var rule in RuleFileReader.Read(yaml, source, errors))
            {
                if (seen.TryGetValue(rule.Rule.Id, out var first))
                {
                    errors.Add(new RuleLoadError(source, rule.Line, rule.Rule.Id, $"duplicate rule id (first defined at {first})"));
                    continue;
                }
                seen.Add(rule.Rule.Id, rule.Rule.Source);
                rules.Add(rule);
            }
        }
        if (errors.Count > 0) throw new RuleLoadException(errors);
        return new RuleSet(rules);
    }
}
