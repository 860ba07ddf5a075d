using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace WorkloadProfiles.Testing;

/// <summary>
/// One of the product's commands (a .NET assembly copied next to the tests) running as a child process, with its stdout
/// and stderr captured line by line: a separate process, as in production, which a test can signal or kill.
/// </summary>
public sealed partial class CommandProcess : IAsyncDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    readonly Process _process;
    readonly ConcurrentQueue<string> _output = new();
    readonly ConcurrentQueue<string> _error = new();
    bool _disposed;

    CommandProcess(Process process) => _process = process;

    /// <summary>Lines written to stdout so far.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>Lines written to stderr so far.</summary>
    public IReadOnlyCollection<string> Error => _error;

    public int Id => _process.Id;

    /// <summary>Starts <c>dotnet {assembly} {arguments}</c>, the assembly taken from the test's output directory.</summary>
    public static CommandProcess Start(string assembly, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var child = new CommandProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) child._output.Enqueue(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) child._error.Enqueue(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Whether the process has ended and everything it wrote has been read (<see cref="Output"/> and
    /// <see cref="Error"/> are complete): the exit is seen before the asynchronous readers reach end of stream.</summary>
    public bool HasExited
    {
        get
        {
            if (!_process.HasExited) return false;
            _process.WaitForExit(); // already exited: only waits for the output and error readers to drain
            return true;
        }
    }

    /// <summary>Exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Sends <paramref name="signal"/> (e.g. <see cref="SigTerm"/> as a service manager would, <see cref="SigKill"/>
    /// as the OOM killer would) and returns the exit code once the process ended.</summary>
    public async Task<int> SignalAsync(int signal, TimeSpan timeout)
    {
        if (!_process.HasExited && Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        return _process.ExitCode;
    }

    /// <summary>Everything the process wrote, for a failure message.</summary>
    public string Transcript => string.Join('\n', _output.Concat(_error));

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
