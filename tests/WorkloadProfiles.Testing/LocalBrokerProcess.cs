using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace WorkloadProfiles.Testing;

/// <summary>
/// The broker command (local/WorkloadProfiles.LocalBroker) as a child process on free loopback ports: a broker in another
/// process, as agents and kcat see it. Started by <see cref="StartAsync"/>, which returns once it printed its ready line.
/// </summary>
public sealed partial class LocalBrokerProcess : IAsyncDisposable
{
    const string Assembly = "WorkloadProfiles.LocalBroker.dll";

    readonly CommandProcess _process;

    LocalBrokerProcess(CommandProcess process) => _process = process;

    /// <summary>Bootstrap servers from the ready line.</summary>
    public string BootstrapServers => Ready()?.Groups["bootstrap"].Value ?? "";

    /// <summary>Control port from the ready line.</summary>
    public int ControlPort => Ready() is { } ready ? int.Parse(ready.Groups["control"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>Lines the command wrote to stdout so far.</summary>
    public IReadOnlyCollection<string> Output => _process.Output;

    /// <summary>Lines the command wrote to stderr so far (its log).</summary>
    public IReadOnlyCollection<string> Error => _process.Error;

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
            await Poll.UntilAsync(() => broker.Ready() is not null || broker.HasExited, timeout, "the broker command's ready line");
            if (broker.Ready() is null)
            {
                throw new InvalidOperationException($"The broker command exited with {broker.ExitCode}: {string.Join('\n', broker.Error)}");
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
    public static LocalBrokerProcess Launch(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        new(CommandProcess.Start(Assembly, arguments, environment));

    /// <inheritdoc cref="CommandProcess.HasExited"/>
    public bool HasExited => _process.HasExited;

    /// <summary>Exit code, once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    Match? Ready() => _process.Output.Select(line => ReadyLine().Match(line)).FirstOrDefault(m => m.Success);

    /// <summary>Sends SIGTERM, as a service manager would, and returns the exit code once the process ended.</summary>
    public Task<int> StopAsync(TimeSpan timeout) => _process.SignalAsync(CommandProcess.SigTerm, timeout);

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^ready bootstrap=(?<bootstrap>\S+) control=127\.0\.0\.1:(?<control>\d+)$")]
    private static partial Regex ReadyLine();
}
