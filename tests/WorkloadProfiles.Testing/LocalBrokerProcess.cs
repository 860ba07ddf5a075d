using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace WorkloadProfiles.Testing;

/// <summary>
/// The broker command (local/WorkloadProfiles.LocalBroker) as a child process on free loopback ports: a broker in another
/// process, as agents and kcat see it. Started by <see cref="StartAsync"/>, which returns once it printed its ready line.
/// </summary>
public sealed partial class LocalBrokerProcess : IAsyncDisposable
{
    const string Assembly = "WorkloadProfiles.LocalBroker.dll";
    const int SigTerm = 15;

    readonly Process _process;
    readonly ConcurrentQueue<string> _output = new();
    readonly ConcurrentQueue<string> _error = new();

    LocalBrokerProcess(Process process) => _process = process;

    /// <summary>Bootstrap servers from the ready line.</summary>
    public string BootstrapServers { get; private set; } = "";

    /// <summary>Control port from the ready line.</summary>
    public int ControlPort { get; private set; }

    /// <summary>Lines the command wrote to stdout so far.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>Lines the command wrote to stderr so far (its log).</summary>
    public IReadOnlyCollection<string> Error => _error;

    /// <summary>
    /// Starts the command with <paramref name="arguments"/> (by default on free ports) and waits for its ready line;
    /// throws with the command's stderr when it exits or stays silent instead.
    /// </summary>
    public static async Task<LocalBrokerProcess> StartAsync(TimeSpan timeout, IReadOnlyList<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var broker = Launch(arguments ?? ["--port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                                          "--control-port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture)], environment);
        try
        {
            await Poll.UntilAsync(() => broker.IsReady || broker.HasExited, timeout, "the broker command's ready line");
            if (!broker.IsReady)
            {
                throw new InvalidOperationException($"The broker command exited with {broker._process.ExitCode}: {string.Join('\n', broker._error)}");
            }

            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the command and returns without waiting, for tests of how it fails.</summary>
    public static LocalBrokerProcess Launch(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, Assembly));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var broker = new LocalBrokerProcess(process);
        process.OutputDataReceived += (_, e) => broker.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                broker._error.Enqueue(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return broker;
    }

    bool IsReady => ControlPort != 0;

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

    void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (ReadyLine().Match(line) is { Success: true } ready)
        {
            BootstrapServers = ready.Groups["bootstrap"].Value;
            ControlPort = int.Parse(ready.Groups["control"].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        _output.Enqueue(line);
    }

    /// <summary>Sends SIGTERM, as a service manager would, and returns the exit code once the process ended.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited && Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^ready bootstrap=(?<bootstrap>\S+) control=127\.0\.0\.1:(?<control>\d+)$")]
    private static partial Regex ReadyLine();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
