using System.Diagnostics;

namespace WorkloadProfiles.Local;

/// <summary>
/// The demo workload as real containers: a busybox image imported from a rootfs tarball (there is no registry), run by
/// podman with runc and cgroupfs, and podman's Docker-compatible API on a private socket for the agent's resolver.
/// Disposing removes the containers and stops the API service.
/// </summary>
public sealed class DemoWorkload : IAsyncDisposable
{
    /// <summary>The health check each loop runs: a shell (a benign trigger of the shell rule) that reads a file.</summary>
    public const string HealthCheck = "read line < /etc/motd";

    /// <summary>
    /// The local service the workload probes. Port 3333 is also a Stratum mining port, so the probe is a benign behaviour
    /// that triggers a rule (wp.mining-port): the profile learns it, and its signals get a suppression suggestion.
    /// </summary>
    public const int ProbePort = 3333;

    /// <summary>What the previous version's containers ran: its own config file, the health check and the probe; no lookup.</summary>
    public const string PreviousScript =
        "while true; do cat /etc/legacy.conf >/dev/null; sh -c '" + HealthCheck + "'; " +
        "nc 127.0.0.1 3333 </dev/null >/dev/null 2>&1; sleep 2; done";

    /// <summary>What every demo container runs: config read, health-check shell, DNS lookup, service probe, in a loop.</summary>
    public const string Script =
        "while true; do cat /etc/app.conf >/dev/null; sh -c '" + HealthCheck + "'; " +
        "nslookup api.demo.internal 127.0.0.1 >/dev/null 2>&1; nc 127.0.0.1 3333 </dev/null >/dev/null 2>&1; sleep 2; done";

    static readonly string[] RunFlags =
        ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none"];
    static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    readonly Process _service;
    readonly string _socket;
    readonly string _rootfsTar;
    readonly List<string> _containers = [];

    DemoWorkload(Process service, string socket, string rootfsTar)
    {
        _service = service;
        _socket = socket;
        _rootfsTar = rootfsTar;
    }

    /// <summary>Docker Engine API endpoint of podman's service, for <c>Agent:ContainerRuntimeEndpoint</c>.</summary>
    public string Endpoint => $"unix://{_socket}";

    /// <summary>Why live capture cannot run here, or null when it can (root, kernel BTF, podman, busybox-static).</summary>
    public static string? Unavailable(string btfPath = "/sys/kernel/btf/vmlinux")
    {
        if (Environment.UserName != "root") return "live capture needs root";
        if (!File.Exists(btfPath)) return $"no kernel BTF at {btfPath}";
        if (!Command.OnPath("podman")) return "podman is not installed";
        if (!File.Exists("/bin/busybox")) return "busybox-static is not installed";
        return null;
    }

    /// <summary>Starts podman's API service on a socket named after <paramref name="name"/> and prepares the image rootfs.</summary>
    public static async Task<DemoWorkload> StartAsync(string name, CancellationToken cancellationToken)
    {
        var socket = $"/run/{name}-{Environment.ProcessId}.sock";
        if (File.Exists(socket)) File.Delete(socket);
        var service = Process.Start(new ProcessStartInfo("podman", ["system", "service", "--time=0", $"unix://{socket}"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not start podman system service");
        var workload = new DemoWorkload(service, socket, await BuildRootfsAsync(cancellationToken));
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!File.Exists(socket))
            {
                if (service.HasExited) throw new InvalidOperationException($"podman system service exited: {await service.StandardError.ReadToEndAsync(cancellationToken)}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException("podman system service did not create its socket within 30 s");
                await Task.Delay(50, cancellationToken);
            }

            return workload;
        }
        catch
        {
            await workload.DisposeAsync();
            throw;
        }
    }

    /// <summary>Imports the busybox rootfs as <c>image:tag</c> (e.g. <c>localhost/wp-demo:1.0</c>).</summary>
    public async Task ImportImageAsync(string image, string tag, CancellationToken cancellationToken) =>
        await PodmanAsync(["import", _rootfsTar, $"{image}:{tag}"], cancellationToken);

    /// <summary>Starts a detached container running <c>/bin/sh -c script</c>; returns its id.</summary>
    public async Task<string> StartContainerAsync(string image, string tag, string script, CancellationToken cancellationToken)
    {
        var id = (await PodmanAsync(["run", "-d", .. RunFlags, $"{image}:{tag}", "/bin/sh", "-c", script], cancellationToken)).Trim();
        lock (_containers) _containers.Add(id);
        return id;
    }

    /// <summary>Stops and removes a container at once (<c>podman rm -f -t 0</c>).</summary>
    public async Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        await PodmanAsync(["rm", "-f", "-t", "0", containerId], cancellationToken);
        lock (_containers) _containers.Remove(containerId);
    }

    /// <summary>Runs <c>/bin/sh -c script</c> inside a running container (<c>podman exec</c>); returns its output.</summary>
    public Task<string> ExecAsync(string containerId, string script, CancellationToken cancellationToken) =>
        PodmanAsync(["exec", containerId, "/bin/sh", "-c", script], cancellationToken);

    static async Task<string> PodmanAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var (exitCode, output, error) = await RunAsync("podman", arguments, cancellationToken);
        if (exitCode != 0) throw new InvalidOperationException($"podman {string.Join(' ', arguments)} failed ({exitCode}): {error}");
        return output;
    }

    static Task<CommandResult> RunAsync(string program, string[] arguments, CancellationToken cancellationToken) =>
        Command.RunAsync(program, arguments, CommandTimeout, cancellationToken);

    // busybox-static plus one symlink per applet, two config files for the workload to read, and an /etc/shadow.
    static async Task<string> BuildRootfsAsync(CancellationToken cancellationToken)
    {
        const string busybox = "/bin/busybox";
        var dir = Directory.CreateTempSubdirectory("wp-demo-rootfs-").FullName;
        foreach (var sub in new[] { "bin", "etc", "tmp", "proc", "sys", "dev", "var" }) Directory.CreateDirectory(Path.Join(dir, sub));
        File.Copy(busybox, Path.Join(dir, "bin", "busybox"));
        var (_, applets, _) = await RunAsync(busybox, ["--list"], cancellationToken);
        foreach (var applet in applets.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(a => a != "busybox"))
        {
            File.CreateSymbolicLink(Path.Join(dir, "bin", applet), "busybox");
        }

        await File.WriteAllTextAsync(Path.Join(dir, "etc", "motd"), "welcome to the demo workload\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Join(dir, "etc", "app.conf"), "mode=demo\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Join(dir, "etc", "legacy.conf"), "mode=legacy\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Join(dir, "etc", "shadow"), "root:*:19000:0:99999:7:::\n", cancellationToken);
        var tar = dir + ".tar";
        var (exitCode, _, error) = await RunAsync("tar", ["-C", dir, "-cf", tar, "."], cancellationToken);
        Directory.Delete(dir, recursive: true);
        if (exitCode != 0) throw new InvalidOperationException("tar failed: " + error);
        return tar;
    }

    public async ValueTask DisposeAsync()
    {
        string[] ids;
        lock (_containers) ids = [.. _containers];
        if (ids.Length > 0) await RunAsync("podman", ["rm", "-f", "-t", "0", .. ids], CancellationToken.None);
        if (!_service.HasExited) _service.Kill(entireProcessTree: true);
        await _service.WaitForExitAsync();
        _service.Dispose();
        File.Delete(_rootfsTar);
        if (File.Exists(_socket)) File.Delete(_socket);
    }
}
