using System.Diagnostics;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.CommandLine.Tests;

/// <summary>Runs a program to completion with extra environment variables and a working directory, stdin closed.</summary>
internal static class ExternalCommandWithEnvironment
{
    public static async Task<CommandResult> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, string workingDirectory)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Settings of the machine running the tests must not leak into what is being tested.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("WP_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(name);
        foreach (var (name, value) in environment) start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds:0} s; stdout: {await output} stderr: {await error}");
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }
}
