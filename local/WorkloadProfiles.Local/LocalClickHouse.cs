using WorkloadProfiles.Hosting;

namespace WorkloadProfiles.Local;

/// <summary>
/// The development ClickHouse through <c>local/clickhouse/clickhouse.sh</c>: Debian's clickhouse-server as a plain
/// process on loopback (ports 18123/19000 unless <c>WP_CLICKHOUSE_*</c> say otherwise). Installs the package when it is
/// missing, and stops the server on dispose only if this run started it.
/// </summary>
internal sealed class LocalClickHouse : IAsyncDisposable
{
    static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(10);
    bool _startedHere;

    static string Script => Path.Combine(RepositoryLayout.Root, "local", "clickhouse", "clickhouse.sh");

    /// <summary>Starts the server unless one already answers; returns a line saying what happened.</summary>
    public async Task<string> StartAsync(Action<string> report, CancellationToken cancellationToken)
    {
        if ((await RunAsync("bash", [Script, "status"], cancellationToken)).ExitCode == 0)
        {
            return "ClickHouse already running; using it (left running on exit)";
        }

        if (!Command.OnPath("clickhouse-server"))
        {
            report("installing Debian's clickhouse-server (apt-get)…");
            await InstallAsync(cancellationToken);
        }

        var start = await RunAsync("bash", [Script, "start"], cancellationToken);
        if (start.ExitCode != 0) throw new PrerequisiteException($"local ClickHouse did not start (local/clickhouse/clickhouse.sh start): {start.Output.Trim().Split('\n')[^1]}");
        _startedHere = true;
        return start.Output.Trim().Split('\n')[^1];
    }

    static async Task InstallAsync(CancellationToken cancellationToken)
    {
        string[] install = ["install", "-y", "--no-install-recommends", "clickhouse-server", "clickhouse-client", "curl"];
        var first = await RunAsync("apt-get", install, cancellationToken);
        if (first.ExitCode == 0) return;
        // A fresh machine may not have package lists yet.
        await RunAsync("apt-get", ["update"], cancellationToken);
        var second = await RunAsync("apt-get", install, cancellationToken);
        if (second.ExitCode != 0)
        {
            throw new PrerequisiteException($"apt-get could not install clickhouse-server (run as root, or install it yourself): {second.Output.Trim().Split('\n')[^1]}");
        }
    }

    static readonly Dictionary<string, string> NonInteractive = new() { ["DEBIAN_FRONTEND"] = "noninteractive" };

    static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var result = await Command.RunAsync(program, arguments, CommandTimeout, cancellationToken, NonInteractive);
        return (result.ExitCode, result.Output + result.Error);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_startedHere) return;
        _startedHere = false;
        await RunAsync("bash", [Script, "stop"], CancellationToken.None);
    }
}
