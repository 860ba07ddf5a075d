namespace WorkloadProfiles.Testing;

/// <summary>
/// The agent as it ships: published ahead of time (<c>dotnet publish agent/WorkloadProfiles.Agent -r linux-x64</c>), a
/// native executable. <c>.ci/run</c> publishes it and names it in <c>WP_TEST_NATIVE_AGENT</c>, so the tests that run the
/// agent as a process (live capture, command line) run that build; unset, they run the JIT build from the build output.
/// </summary>
public static class NativeAgent
{
    public const string Variable = "WP_TEST_NATIVE_AGENT";

    /// <summary>The native executable, or null when <see cref="Variable"/> is unset.</summary>
    /// <exception cref="FileNotFoundException">The variable names no file: a broken CI set-up must not fall back quietly.</exception>
    public static string? Path { get; } = Find();

    static string? Find()
    {
        var path = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(path)) return null;
        return File.Exists(path) ? System.IO.Path.GetFullPath(path) : throw new FileNotFoundException($"{Variable}={path}: no such file", path);
    }
}
