using System.Diagnostics;

namespace WorkloadProfiles.Testing;

/// <summary>What a finished external command left behind.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error);

/// <summary>Runs a program to completion, feeding it standard input: for tools like kcat that tests use as a separate client.</summary>
public static class ExternalCommand
{
    public static async Task<CommandResult> RunAsync(string program, IEnumerable<string> arguments, IEnumerable<string> input, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
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
