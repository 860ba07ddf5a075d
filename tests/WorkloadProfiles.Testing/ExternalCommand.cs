using System.Diagnostics;

namespace WorkloadProfiles.Testing;

/// <summary>What a finished external command left behind.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error);

/// <summary>Runs a program to completion, feeding it standard input: for tools like kcat that tests use as a separate client.</summary>
public static class ExternalCommand
{
    public static Task<CommandResult> RunAsync(string program, IEnumerable<string> arguments, IEnumerable<string> input, TimeSpan timeout) =>
        RunAsync(program, arguments, input, timeout, environment: null, workingDirectory: null);

    /// <param name="environment">
    /// Variables to set; when given, the <c>WP_</c> settings of the machine running the tests are removed first, so only
    /// these reach the program.
    /// </param>
    /// <param name="workingDirectory">Where the program runs; null = the tests' own.</param>
    public static async Task<CommandResult> RunAsync(string program, IEnumerable<string> arguments, IEnumerable<string> input, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment, string? workingDirectory)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("WP_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(name);
            foreach (var (name, value) in environment) start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        foreach (var line in input)
        {
            await process.StandardInput.WriteLineAsync(line);
        }

        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeout.TotalSeconds:0.#} s; stderr: {await error}");
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }
}
