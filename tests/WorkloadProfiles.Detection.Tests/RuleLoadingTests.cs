using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Detection.Tests;

public sealed class RuleLoadingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wp-rules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Valid = """
        lists:
          editors: [vi, vim, nano]
        rules:
          - id: test.editor
            name: Editor in a container
            description: Someone edits files by hand.
            severity: medium
            event: exec
            condition: process.name.In(editors)
            tags: [container, editor]
          - id: test.tmp-write
            name: Write to /tmp
            severity: info
            event: open
            condition: file.write && file.path.StartsWithAny("/tmp/")
            enabled: false
        """;

    [Fact]
    public void Valid_file_yields_every_field()
    {
        var set = RuleSet.Parse(Valid, "valid.yaml");

        Assert.Equal(["test.editor", "test.tmp-write"], set.Rules.Select(r => r.Id));
        var editor = set.Rules[0];
        Assert.Equal("Editor in a container", editor.Name);
        Assert.Equal("Someone edits files by hand.", editor.Description);
        Assert.Equal(Severity.Medium, editor.Severity);
        Assert.Equal(RuleEvent.Exec, editor.Event);
        Assert.Equal("process.name.In(editors)", editor.Condition);
        Assert.Equal(["container", "editor"], editor.Tags);
        Assert.True(editor.Enabled);
        Assert.Equal("valid.yaml:4", editor.Source);

        var tmp = set.Rules[1];
        Assert.Equal(Severity.Info, tmp.Severity);
        Assert.Equal(RuleEvent.Open, tmp.Event);
        Assert.False(tmp.Enabled);
        Assert.Empty(tmp.Tags);
    }

    [Fact]
    public void Invalid_expression_names_file_line_rule_and_the_parser_error()
    {
        const string yaml = """
            rules:
              - id: test.typo
                name: Typo
                severity: low
                event: exec
                condition: process.nmae == "sh"
            """;
        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Parse(yaml, "/etc/wp/custom.yaml"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("/etc/wp/custom.yaml", error.Source);
        Assert.Equal(2, error.Line);
        Assert.Equal("test.typo", error.RuleId);
        Assert.Contains("nmae", error.Message);
        Assert.Contains("/etc/wp/custom.yaml:2: rule 'test.typo': condition does not compile", ex.Message);
    }

    [Theory]
    [InlineData("process.name", "cannot be converted to type 'Boolean'")]
    [InlineData("process.name ==", "condition does not compile")]
    [InlineData("file.path == \"/etc/passwd\"", "'file.*', which exec events do not have")]
    [InlineData("System.IO.File.Exists(\"/x\")", "condition does not compile")]
    public void Conditions_that_cannot_work_are_rejected(string condition, string expected)
    {
        var yaml = $"""
            rules:
              - id: test.bad
                name: Bad
                severity: low
                event: exec
                condition: '{condition.Replace("'", "''")}'
            """;
        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Parse(yaml, "bad.yaml"));
        Assert.Contains(expected, Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Duplicate_id_is_rejected_with_both_places()
    {
        const string yaml = """
            rules:
              - id: test.same
                name: First
                severity: low
                event: exec
                condition: process.name == "a"
              - id: test.same
                name: Second
                severity: low
                event: exec
                condition: process.name == "b"
            """;
        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Parse(yaml, "dup.yaml"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("test.same", error.RuleId);
        Assert.Equal(7, error.Line);
        Assert.Contains("duplicate rule id (first defined at dup.yaml:2)", error.Message);
    }

    [Fact]
    public void Duplicate_id_across_files_of_a_directory_is_rejected()
    {
        const string rule = """
            rules:
              - id: test.same
                name: Same
                severity: low
                event: exec
                condition: process.name == "a"
            """;
        File.WriteAllText(Path.Combine(_dir, "a.yaml"), rule);
        File.WriteAllText(Path.Combine(_dir, "b.yml"), rule);

        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Load(_dir));
        var error = Assert.Single(ex.Errors);
        Assert.EndsWith("b.yml", error.Source);
        Assert.Contains("a.yaml:2", error.Message);
    }

    [Fact]
    public void Unknown_fields_are_rejected_naming_the_field()
    {
        const string yaml = """
            rules:
              - id: test.misspelt
                name: Misspelt
                severity: low
                event: exec
                condition: process.name == "a"
                enabeld: false
            """;
        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Parse(yaml, "f.yaml"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("test.misspelt", error.RuleId);
        Assert.Contains("unknown field 'enabeld'", error.Message);
    }

    [Fact]
    public void Field_of_the_wrong_shape_is_rejected()
    {
        const string yaml = """
            rules:
              - id: test.shape
                name: Shape
                severity: low
                event: exec
                condition: [process.name == "a"]
            """;
        var error = Assert.Single(Assert.Throws<RuleLoadException>(() => RuleSet.Parse(yaml, "f.yaml")).Errors);
        Assert.Equal(("test.shape", "'condition' must be a single value, not a sequence"), (error.RuleId, error.Message));
    }

    [Fact]
    public void Unknown_top_level_field_is_rejected()
    {
        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Parse("macros: {}\nrules: []\n", "f.yaml"));
        Assert.Contains("unknown top-level field 'macros'", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_at_once()
    {
        const string yaml = """
            rules:
              - id: test.one
                name: One
                severity: severe
                event: exec
                condition: process.name == "a"
              - id: Test Two
                name: Two
                severity: low
                event: write
                condition: process.name == "a"
              - id: test.three
                severity: low
                event: exec
                condition: process.name == "a"
            """;
        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Parse(yaml, "many.yaml"));

        Assert.Collection(ex.Errors,
            e => Assert.Contains("severity 'severe' is not one of", e.Message),
            e => Assert.Contains("id 'Test Two' must match", e.Message),
            e => Assert.Contains("event 'write' is not one of", e.Message),
            e => Assert.Equal(("test.three", "'name' is required"), (e.RuleId, e.Message)));
    }

    [Fact]
    public void Broken_yaml_reports_the_line()
    {
        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Parse("rules:\n  - id: a\n    name: [unclosed\n", "broken.yaml"));
        var error = Assert.Single(ex.Errors);
        Assert.StartsWith("invalid YAML", error.Message);
        Assert.True(error.Line >= 3, $"line {error.Line}");
    }

    [Fact]
    public void Missing_path_is_an_error_naming_it()
    {
        var path = Path.Combine(_dir, "nope.yaml");
        var ex = Assert.Throws<RuleLoadException>(() => RuleSet.Load(path));
        Assert.Equal(path, Assert.Single(ex.Errors).Source);
    }

    [Fact]
    public void Options_select_the_rules_path_or_the_built_in_set()
    {
        var file = Path.Combine(_dir, "custom.yaml");
        File.WriteAllText(file, Valid);

        Assert.Equal(["test.editor", "test.tmp-write"], RuleSet.Load(new DetectionOptions { RulesPath = file }).Rules.Select(r => r.Id));
        Assert.Equal(["test.editor", "test.tmp-write"], RuleSet.Load(new DetectionOptions { RulesPath = _dir }).Rules.Select(r => r.Id));
        Assert.Equal(RuleSet.LoadDefault().Rules.Select(r => r.Id), RuleSet.Load(new DetectionOptions()).Rules.Select(r => r.Id));
    }

    [Fact]
    public void Default_rule_set_is_embedded_and_complete()
    {
        var set = RuleSet.LoadDefault();

        Assert.Equal(
            ["wp.shell-in-container", "wp.interactive-shell", "wp.package-manager", "wp.write-below-etc", "wp.read-credentials",
             "wp.network-tool", "wp.dns-unusual-tld", "wp.mining-port", "wp.exec-from-tmp"],
            set.Rules.Select(r => r.Id));
        Assert.All(set.Rules, r => Assert.True(r.Enabled && r.Tags.Count > 0 && r.Description.Length > 0, r.Id));
        // The file in the repository is the one embedded (a copy could drift).
        var onDisk = Path.Combine(AppContext.BaseDirectory, "default.yaml");
        Assert.Equal(File.ReadAllText(onDisk), RuleSet.DefaultYaml());
    }
}
