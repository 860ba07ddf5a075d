using System.Net;
using System.Net.Sockets;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.CommandLine.Tests;

/// <summary>One of the project's commands, run from its own build output like a user runs it (<c>dotnet path/x.dll</c>), or
/// the agent's native build when <see cref="NativeAgent"/> names one.</summary>
public sealed record Executable(string Name, string Project, string Assembly)
{
    public static readonly Executable Streams = new("wp-streams", "streams/WorkloadProfiles.Streams.Host", "wp-streams.dll");
    public static readonly Executable Sink = new("wp-sink", "streams/WorkloadProfiles.Sink", "wp-sink.dll");
    public static readonly Executable Explorer = new("wp-explorer", "explorer/WorkloadProfiles.Explorer", "wp-explorer.dll");
    public static readonly Executable Local = new("wp-local", "local/WorkloadProfiles.Local", "wp-local.dll");
    public static readonly Executable Agent = new("wp-agent", "agent/WorkloadProfiles.Agent", "wp-agent.dll") { Native = NativeAgent.Path };
    public static readonly Executable Broker = new("WorkloadProfiles.LocalBroker", "local/WorkloadProfiles.LocalBroker", "WorkloadProfiles.LocalBroker.dll");

    public static IReadOnlyList<Executable> All { get; } = [Streams, Sink, Explorer, Local, Agent, Broker];

    public static Executable Named(string name) => All.Single(e => e.Name == name);

    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>A native executable run instead of the dll (the agent published ahead of time), or null.</summary>
    public string? Native { get; init; }

    /// <summary>The dll in the project's output for this test run's configuration (Debug or Release).</summary>
    public string Path
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
            var path = System.IO.Path.Combine(RepositoryRoot, Project, "bin", output.Parent!.Name, output.Name, Assembly);
            return File.Exists(path) ? path : throw new FileNotFoundException($"{Assembly} is not built at {path}", path);
        }
    }

    /// <summary>Runs the command to completion (no terminal, no input) with only the given WP_ settings.</summary>
    public Task<CommandResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        string[] command = Native is { } native ? [native] : [Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", Path];
        return ExternalCommand.RunAsync(command[0], [.. command[1..], .. arguments], [], timeout ?? TimeSpan.FromSeconds(90),
            environment ?? new Dictionary<string, string>(), RepositoryRoot);
    }

    /// <summary>Starts the command (its dll) and returns at once, for tests that watch it run.</summary>
    public CommandProcess Start(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null) =>
        CommandProcess.Start(Path, arguments, environment);

    public override string ToString() => Name;

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("repository root not found");
    }
}

/// <summary>A TCP port that records whether anything connected: proof that a command did not start its clients.</summary>
public sealed class Tripwire : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public Tripwire() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public bool Touched => _listener.Pending();

    public void Dispose() => _listener.Stop();
}

/// <summary>A closed loopback port: connecting to it is refused at once.</summary>
public static class ClosedPort
{
    public static int Get() => LocalBrokerProcess.FreePort();
}
