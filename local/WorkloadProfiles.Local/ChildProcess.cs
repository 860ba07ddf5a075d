using System.Diagnostics;
using System.Runtime.InteropServices;

namespace WorkloadProfiles.Local;

/// <summary>
/// One of the project's commands (<c>wp-streams</c>, <c>wp-agent</c>) run from this binary's directory as a child
/// process, its output appended to a log file. Stopping sends SIGTERM (the commands close cleanly on it) and kills the
/// process tree if it has not exited within the grace period, so nothing outlives the run.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    const int SigTerm = 15;
    static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    readonly Process _process;
    readonly StreamWriter _log;
    readonly Lock _gate = new();

    ChildProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public string LogPath => ((FileStream)_log.BaseStream).Name;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <param name="project">The command's project directory below the repository, e.g. <c>streams/WorkloadProfiles.Streams.Host</c>.</param>
    /// <param name="assembly">The command's dll, e.g. <c>wp-streams.dll</c>.</param>
    public static ChildProcess Start(string name, string project, string assembly, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment, string logPath) =>
        Start(name, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [Locate(project, assembly), .. arguments],
            environment, logPath);

    /// <summary>Starts a native executable, e.g. the agent published ahead of time (<c>dotnet publish -r linux-x64</c>).</summary>
    public static ChildProcess StartExecutable(string name, string executable, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment, string logPath) =>
        File.Exists(executable)
            ? Start(name, executable, arguments, environment, logPath)
            : throw new FileNotFoundException($"{name}: no executable at {executable}", executable);

    static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string> environment, string logPath)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryLayout.Root,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;

        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var log = new StreamWriter(new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        var child = new ChildProcess(name, process, log);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    // Each command runs from its own build output: its runtimeconfig names only the shared frameworks it needs, and
    // this binary's directory also holds ASP.NET Core (the explorer), whose assemblies the others would then miss.
    // wp-local's project references build them, in the same configuration as wp-local.
    static string Locate(string project, string assembly)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent?.Name ?? "Debug";
        var path = Path.Combine(RepositoryLayout.Root, project, "bin", configuration, output.Name, assembly);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{assembly} is not built at {path}; build local/WorkloadProfiles.Local (it builds {project}).", path);
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_gate) _log.WriteLine(line);
    }

    /// <summary>The last lines of the log, for an error message.</summary>
    public string Tail(int lines = 15)
    {
        lock (_gate) _log.Flush();
        using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.TakeLast(lines));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
            using var grace = new CancellationTokenSource(StopGrace);
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        else
        {
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_gate) _log.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
