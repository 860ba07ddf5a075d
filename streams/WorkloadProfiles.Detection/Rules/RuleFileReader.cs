using System.Text.RegularExpressions;
using WorkloadProfiles.Domain.Signals;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace WorkloadProfiles.Detection.Rules;

/// <summary>
/// Reads one rule file. The YAML representation model is walked by hand rather than deserialized into DTOs so every error
/// can name the file, line and rule id, and an unknown field is an error (a misspelt <c>enabled:</c> must not pass silently).
/// <code>
/// lists:                        # optional: named string lists, usable in conditions as variables
///   shells: [sh, bash]
/// rules:
///   - id: wp.shell-in-container # required, unique
///     name: Shell spawned in a container
///     description: ...
///     severity: low             # info | low | medium | high | critical
///     event: exec               # exec | open | dns | connect
///     condition: process.name.In(shells)
///     tags: [shell]
///     enabled: true             # default true
/// </code>
/// </summary>
internal static partial class RuleFileReader
{
    private static readonly string[] RuleFields = ["id", "name", "description", "severity", "event", "condition", "tags", "enabled"];

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,127}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex ListNamePattern();

    /// <summary>Parses and compiles the rules of one file, appending problems to <paramref name="errors"/>.</summary>
    public static List<CompiledRule> Read(string yaml, string source, List<RuleLoadError> errors)
    {
        var rules = new List<CompiledRule>();
        YamlMappingNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0) return rules;
            if (stream.Documents.Count > 1)
            {
                errors.Add(new(source, Line(stream.Documents[1].RootNode), null, "a rule file holds one YAML document"));
                return rules;
            }
            root = stream.Documents[0].RootNode as YamlMappingNode;
            if (root is null)
            {
                errors.Add(new(source, Line(stream.Documents[0].RootNode), null, "the document must be a mapping with a 'rules' sequence"));
                return rules;
            }
        }
        catch (YamlException e)
        {
            errors.Add(new(source, (int)e.Start.Line, null, $"invalid YAML: {e.InnerException?.Message ?? e.Message}"));
            return rules;
        }

        var lists = new Dictionary<string, string[]>(StringComparer.Ordinal);
        YamlSequenceNode? ruleNodes = null;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case "rules" when value is YamlSequenceNode seq:
                    ruleNodes = seq;
                    break;
                case "rules":
                    errors.Add(new(source, Line(value), null, "'rules' must be a sequence"));
                    break;
                case "lists":
                    ReadLists(value, source, lists, errors);
                    break;
                default:
                    errors.Add(new(source, Line(keyNode), null, $"unknown top-level field '{key}' (expected: rules, lists)"));
                    break;
            }
        }
        if (ruleNodes is null) return rules;

        var compiler = new ConditionCompiler(lists);
        foreach (var node in ruleNodes.Children)
        {
            if (ReadRule(node, source, errors) is not { } rule) continue;
            var condition = compiler.Compile(rule.Condition, rule.Event, out var error, out var reads);
            if (condition is null)
            {
                errors.Add(new(source, Line(node), rule.Id, error!));
                continue;
            }
            rules.Add(new CompiledRule(rule, condition, Line(node), ReadsOnlyFile: reads.All(group => group == "file")));
        }
        return rules;
    }

    private static void ReadLists(YamlNode node, string source, Dictionary<string, string[]> lists, List<RuleLoadError> errors)
    {
        if (node is not YamlMappingNode map)
        {
            errors.Add(new(source, Line(node), null, "'lists' must be a mapping of name: [values]"));
            return;
        }
        foreach (var (keyNode, value) in map.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!ListNamePattern().IsMatch(name) || ConditionCompiler.IsReservedName(name))
            {
                errors.Add(new(source, Line(keyNode), null, $"list name '{name}' must be an identifier and not a field group"));
                continue;
            }
            if (value is not YamlSequenceNode seq || seq.Children.Any(c => c is not YamlScalarNode))
            {
                errors.Add(new(source, Line(value), null, $"list '{name}' must be a sequence of scalars"));
                continue;
            }
            if (!lists.TryAdd(name, [.. seq.Children.Cast<YamlScalarNode>().Select(s => s.Value ?? "")]))
                errors.Add(new(source, Line(keyNode), null, $"list '{name}' is defined twice"));
        }
    }

    private static Rule? ReadRule(YamlNode node, string source, List<RuleLoadError> errors)
    {
        var line = Line(node);
        if (node is not YamlMappingNode map)
        {
            errors.Add(new(source, line, null, "each rule must be a mapping"));
            return null;
        }

        var id = Scalar(map, "id");
        var before = errors.Count;
        void Fail(string message) => errors.Add(new(source, line, id, message));

        foreach (var (keyNode, value) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            if (key is null || Array.IndexOf(RuleFields, key) < 0)
                Fail($"unknown field '{key}' (expected: {string.Join(", ", RuleFields)})");
            else if (key != "tags" && value is not YamlScalarNode)
                Fail($"'{key}' must be a single value, not a {(value is YamlSequenceNode ? "sequence" : "mapping")}");
        }

        if (errors.Count != before) return null;
        if (string.IsNullOrEmpty(id)) Fail("'id' is required");
        else if (!IdPattern().IsMatch(id)) Fail($"id '{id}' must match {IdPattern()}");

        var name = Scalar(map, "name");
        if (string.IsNullOrWhiteSpace(name)) Fail("'name' is required");

        var condition = Scalar(map, "condition");
        if (string.IsNullOrWhiteSpace(condition)) Fail("'condition' is required");

        var severityText = Scalar(map, "severity");
        Severity severity = default;
        if (severityText is null) Fail("'severity' is required (info, low, medium, high, critical)");
        else if (!TryParseSeverity(severityText, out severity)) Fail($"severity '{severityText}' is not one of info, low, medium, high, critical");

        var eventText = Scalar(map, "event");
        RuleEvent kind = default;
        if (eventText is null) Fail("'event' is required (exec, open, dns, connect)");
        else if (!TryParseEvent(eventText, out kind)) Fail($"event '{eventText}' is not one of exec, open, dns, connect");

        var enabled = true;
        if (Scalar(map, "enabled") is { } enabledText && !bool.TryParse(enabledText, out enabled))
            Fail($"enabled '{enabledText}' is not true or false");

        List<string> tags = [];
        if (map.Children.TryGetValue(new YamlScalarNode("tags"), out var tagsNode))
        {
            if (tagsNode is YamlSequenceNode seq && seq.Children.All(c => c is YamlScalarNode))
                tags = [.. seq.Children.Cast<YamlScalarNode>().Select(s => s.Value ?? "")];
            else
                Fail("'tags' must be a sequence of strings");
        }

        if (errors.Count != before) return null;
        return new Rule
        {
            Id = id!,
            Name = name!,
            Description = Scalar(map, "description") ?? "",
            Severity = severity,
            Event = kind,
            Condition = condition!,
            Tags = tags,
            Enabled = enabled,
            Source = $"{source}:{line}",
        };
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? (v as YamlScalarNode)?.Value : null;

    private static int Line(YamlNode node) => (int)node.Start.Line;

    internal static bool TryParseSeverity(string text, out Severity severity)
    {
        severity = text.ToLowerInvariant() switch
        {
            "info" => Severity.Info,
            "low" => Severity.Low,
            "medium" => Severity.Medium,
            "high" => Severity.High,
            "critical" => Severity.Critical,
            _ => (Severity)(-1),
        };
        return Enum.IsDefined(severity);
    }

    private static bool TryParseEvent(string text, out RuleEvent kind)
    {
        kind = text.ToLowerInvariant() switch
        {
            "exec" => RuleEvent.Exec,
            "open" => RuleEvent.Open,
            "dns" => RuleEvent.Dns,
            "connect" => RuleEvent.Connect,
            _ => (RuleEvent)(-1),
        };
        return Enum.IsDefined(kind);
    }
}
