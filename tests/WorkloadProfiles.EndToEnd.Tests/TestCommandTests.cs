using System.Text.RegularExpressions;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>
/// The README's test command is the script that sets a fresh machine up (tests/run.sh), .ci/run calls that same
/// script, and running its set-up again on a prepared machine changes nothing.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class TestCommandTests
{
    static readonly string Root = FindRoot();

    [Fact]
    public void The_readme_test_command_is_the_script_that_does_the_set_up()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var section = readme[readme.IndexOf("**Run the tests**", StringComparison.Ordinal)..];
        var command = CodeBlock().Match(section).Groups[1].Value.Trim();
        Assert.Equal("tests/run.sh", command);

        var script = File.ReadAllText(Path.Combine(Root, "tests", "run.sh"));
        foreach (var package in new[] { "kcat", "clickhouse-server", "clickhouse-client", "podman", "runc", "busybox-static", "clang", "libbpf-dev", "bpftool", "chromium" })
        {
            Assert.Matches($@"(?m)^\s+.*\b{Regex.Escape(package)}\b", script);
        }

        Assert.Contains("nodejs npm", script, StringComparison.Ordinal);
        Assert.Contains("clickhouse.sh", script, StringComparison.Ordinal);
        Assert.Contains("dotnet test WorkloadProfiles.sln \"$@\"", script, StringComparison.Ordinal);
        Assert.True((File.GetUnixFileMode(Path.Combine(Root, "tests", "run.sh")) & UnixFileMode.UserExecute) != 0, "tests/run.sh is not executable");

        // CI is the same command: its set-up and its test run go through tests/run.sh, and it installs nothing itself.
        var ci = File.ReadAllText(Path.Combine(Root, ".ci", "run"));
        Assert.Contains("tests/run.sh --prepare", ci, StringComparison.Ordinal);
        Assert.Contains("tests/run.sh --no-build", ci, StringComparison.Ordinal);
        Assert.DoesNotContain("apt-get", ci, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_set_up_is_idempotent_on_a_prepared_machine()
    {
        // No WP_ settings reach it (CI runs the tests with WP_TEST_SKIP_APT=1): the check of every package runs for real.
        var result = await ExternalCommand.RunAsync("bash", [Path.Combine(Root, "tests", "run.sh"), "--prepare"], [], TimeSpan.FromMinutes(10),
            new Dictionary<string, string>(), Root);

        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("apt packages: all present", result.Output, StringComparison.Ordinal);
        Assert.Contains("npm:", result.Output, StringComparison.Ordinal);
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("repository root not found");
    }

    [GeneratedRegex(@"```sh\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
