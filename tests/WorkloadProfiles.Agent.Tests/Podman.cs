using System.Diagnostics;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>
/// Real containers for the tests: a busybox image imported from a rootfs tarball (no registry here), podman with
/// runc and cgroupfs, and podman's Docker-compatible API service on a private socket for the agent's resolver.
/// Each test imports the image under its own tag, so an agent filtered to that tag sees only its test's containers.
/// </summary>
public sealed class Podman : IAsyncLifetime
{
    private static readonly string[] RunFlags =
        ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none"];
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _service;
    private readonly string _rootfsTar;
    private readonly List<string> _containers = [];

    public Podman()
    {
        var socket = $"/run/wp-agent-tests-{Environment.ProcessId}.sock";
        Endpoint = $"unix://{socket}";
        if (File.Exists(socket)) File.Delete(socket);
        _service = Process.Start(new ProcessStartInfo("podman", ["system", "service", "--time=0", Endpoint])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        _rootfsTar = BuildRootfs();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!File.Exists(socket))
        {
            if (DateTime.UtcNow > deadline || _service.HasExited) throw new InvalidOperationException("podman system service did not create its socket");
            Thread.Sleep(50); // process start-up; no condition to wait on but the socket file
        }
    }

    /// <summary>The Docker Engine API endpoint of podman's service.</summary>
    public string Endpoint { get; }

    /// <summary>Imports the busybox rootfs as <c>localhost/wp-agent-test:&lt;tag&gt;</c>; returns the image name.</summary>
    public async Task<string> ImportImageAsync(string tag)
    {
        var image = $"localhost/wp-agent-test:{tag}";
        await RunAsync(["import", _rootfsTar, image]);
        return image;
    }

    /// <summary>Starts a detached container running <c>sh -c script</c>; returns its full id.</summary>
    /// <param name="flags">More <c>podman run</c> flags.</param>
    public async Task<string> StartAsync(string image, string script, bool remove = false, params string[] flags)
    {
        string[] args = ["run", "-d", .. RunFlags, .. (remove ? new[] { "--rm" } : []), .. flags, image, "/bin/sh", "-c", script];
        var id = (await RunAsync(args)).Output.Trim();
        lock (_containers) _containers.Add(id);
        return id;
    }

    public async Task<CommandResult> ExecAsync(string containerId, string script) =>
        await RunAsync(["exec", containerId, "/bin/sh", "-c", script], check: false);

    /// <summary>Copies a host file into a container (<c>podman cp</c>).</summary>
    public Task CopyIntoAsync(string containerId, string hostPath, string containerPath) =>
        RunAsync(["cp", hostPath, $"{containerId}:{containerPath}"]);

    /// <summary>Builds a probe of <c>Probes/</c> as a static binary (it runs in a busybox rootfs); returns its path.</summary>
    public static async Task<string> BuildProbeAsync(string name)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Probes", name + ".c");
        var binary = Path.Combine(Path.GetTempPath(), $"wp-probe-{name}-{Environment.ProcessId}");
        var result = await ExternalCommand.RunAsync("gcc", ["-O2", "-static", "-o", binary, source], [], CommandTimeout);
        if (result.ExitCode != 0) throw new InvalidOperationException($"gcc {source} failed: {result.Error}");
        return binary;
    }

    public Task RemoveAsync(string containerId) => RunAsync(["rm", "-f", "-t", "0", containerId], check: false);

    public async Task<CommandResult> RunAsync(IEnumerable<string> args, bool check = true)
    {
        var result = await ExternalCommand.RunAsync("podman", args, [], CommandTimeout);
        if (check && result.ExitCode != 0)
            throw new InvalidOperationException($"podman {string.Join(' ', args)} failed ({result.ExitCode}): {result.Error}");
        return result;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Removes every container the tests started (xunit disposes collection fixtures through IAsyncLifetime).</summary>
    public async Task DisposeAsync()
    {
        string[] ids;
        lock (_containers) ids = [.. _containers];
        if (ids.Length > 0) await RunAsync(["rm", "--force", "--ignore", "--time", "0", .. ids], check: false);
        if (!_service.HasExited) _service.Kill();
        await _service.WaitForExitAsync();
        _service.Dispose();
    }

    internal static string BuildRootfs()
    {
        const string busybox = "/bin/busybox";
        if (!File.Exists(busybox)) throw new InvalidOperationException("busybox-static is not installed (apt-get install -y busybox-static)");
        var dir = Directory.CreateTempSubdirectory("wp-agent-rootfs-").FullName;
        Directory.CreateDirectory(Path.Join(dir, "bin"));
        foreach (var sub in new[] { "etc", "tmp", "proc", "sys", "dev", "var" }) Directory.CreateDirectory(Path.Join(dir, sub));
        File.Copy(busybox, Path.Join(dir, "bin", "busybox"));
        var applets = ExternalCommand.RunAsync(busybox, ["--list"], [], CommandTimeout).GetAwaiter().GetResult().Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var applet in applets.Where(a => a != "busybox"))
            File.CreateSymbolicLink(Path.Join(dir, "bin", applet), "busybox");
        File.WriteAllText(Path.Join(dir, "etc", "motd"), "welcome to the workload\n");
        File.WriteAllText(Path.Join(dir, "etc", "app.conf"), "mode=demo\n");
        File.WriteAllText(Path.Join(dir, "etc", "shadow"), "root:*:19000:0:99999:7:::\n");
        var tar = dir + ".tar";
        var result = ExternalCommand.RunAsync("tar", ["-C", dir, "-cf", tar, "."], [], CommandTimeout).GetAwaiter().GetResult();
        if (result.ExitCode != 0) throw new InvalidOperationException("tar failed: " + result.Error);
        return tar;
    }
}
