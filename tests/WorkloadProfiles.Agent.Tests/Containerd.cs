using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Grpc.Net.Client;
using WorkloadProfiles.Agent.Tests.Cri;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>
/// A real containerd (Debian's package) with its CRI plugin, started as a plain process with its own config, socket,
/// root and state directories, and driven through the CRI as kubelet drives it: pod sandboxes with host networking (no
/// CNI here) under kubelet's cgroup paths (cgroupfs driver: <c>/kubepods/&lt;qos&gt;/pod&lt;uid&gt;/&lt;id&gt;</c>), containers
/// started in them with kubelet's labels. There is no registry: images (a busybox rootfs, and a static pause binary as
/// the sandbox image) are imported from tarballs — <c>podman import</c>, <c>podman save --format docker-archive</c>,
/// <c>ctr -n k8s.io images import</c>.
/// </summary>
public sealed class Containerd : IAsyncLifetime
{
    public const string ImageName = "localhost/wp-cri-test";
    private const string SandboxImage = "localhost/wp-cri-pause:1";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private readonly string _dir = Path.Join("/tmp", $"wp-containerd-{Environment.ProcessId}");
    private readonly List<string> _sandboxes = [];
    private Process? _daemon;
    private GrpcChannel? _channel;
    private string? _rootfsTar;

    public string Socket => Path.Join(_dir, "containerd.sock");

    /// <summary>The endpoint as an operator would configure it; the agent probes which API it speaks.</summary>
    public string Endpoint => $"unix://{Socket}";

    internal RuntimeService.RuntimeServiceClient Cri { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        foreach (var sub in new[] { "root", "state", "cni-conf", "cni-bin", "logs" }) Directory.CreateDirectory(Path.Join(_dir, sub));
        await File.WriteAllTextAsync(Path.Join(_dir, "config.toml"), Config());
        var log = Path.Join(_dir, "containerd.log");
        _daemon = Process.Start(new ProcessStartInfo("bash", ["-c", $"exec containerd --config {_dir}/config.toml >{log} 2>&1"]))
            ?? throw new InvalidOperationException("could not start containerd");
        await Poll.UntilAsync(() => _daemon.HasExited || File.Exists(Socket), TimeSpan.FromSeconds(30), "containerd's socket");
        if (_daemon.HasExited) throw new InvalidOperationException($"containerd exited at start:\n{await File.ReadAllTextAsync(log)}");

        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, token) =>
                {
                    var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket), token);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            },
        });
        Cri = new RuntimeService.RuntimeServiceClient(_channel);

        var plugins = await Ctr(["plugins", "ls"]);
        if (!plugins.Split('\n').Any(l => l.Contains("io.containerd.grpc.v1") && l.Contains("cri") && l.TrimEnd().EndsWith("ok", StringComparison.Ordinal)))
            throw new InvalidOperationException($"containerd's CRI plugin did not load:\n{plugins}");

        _rootfsTar = Podman.BuildRootfs();
        var pause = await Podman.BuildProbeAsync("pause");
        var pauseRoot = Directory.CreateTempSubdirectory("wp-pause-rootfs-").FullName;
        File.Copy(pause, Path.Join(pauseRoot, "pause"));
        var pauseTar = pauseRoot + ".tar";
        await Run("tar", ["-C", pauseRoot, "-cf", pauseTar, "."]);
        await ImportAsync(pauseTar, SandboxImage, """ENTRYPOINT ["/pause"]""");
    }

    /// <summary>Imports the busybox rootfs into containerd as <c>localhost/wp-cri-test:&lt;tag&gt;</c>; returns the reference.</summary>
    public async Task<string> ImportImageAsync(string tag)
    {
        var image = $"{ImageName}:{tag}";
        await ImportAsync(_rootfsTar!, image, """CMD ["/bin/sh"]""");
        return image;
    }

    /// <summary>Runs a pod sandbox as kubelet would for a pod of the given QoS class (cgroup parent, kubelet's labels on
    /// top of the pod's); returns the sandbox id and its config (CreateContainer needs it).</summary>
    internal async Task<(string SandboxId, PodSandboxConfig Config)> RunPodAsync(string ns, string name, string uid,
        IReadOnlyDictionary<string, string> podLabels, string qos = "besteffort")
    {
        var config = new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Namespace = ns, Uid = uid },
            LogDirectory = Path.Join(_dir, "logs", uid),
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = $"/kubepods/{qos}/pod{uid}",
                SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node } },
            },
        };
        foreach (var (key, value) in podLabels) config.Labels[key] = value;
        config.Labels.Add(KubeletLabels(ns, name, uid));
        Directory.CreateDirectory(config.LogDirectory);
        var id = (await Cri.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config })).PodSandboxId;
        lock (_sandboxes) _sandboxes.Add(id);
        return (id, config);
    }

    /// <summary>Creates and starts a container running <c>sh -c script</c> in a pod; returns its id.</summary>
    internal async Task<string> StartContainerAsync(string sandboxId, PodSandboxConfig pod, string containerName, string image, string script)
    {
        var config = new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = containerName },
            Image = new ImageSpec { Image = image },
            Command = { "/bin/sh", "-c", script },
            LogPath = $"{containerName}.log",
            Linux = new LinuxContainerConfig
            {
                SecurityContext = new LinuxContainerSecurityContext { NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Node } },
            },
        };
        config.Labels.Add(KubeletLabels(pod.Metadata.Namespace, pod.Metadata.Name, pod.Metadata.Uid));
        config.Labels["io.kubernetes.container.name"] = containerName;
        var id = (await Cri.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = sandboxId, Config = config, SandboxConfig = pod })).ContainerId;
        await Cri.StartContainerAsync(new StartContainerRequest { ContainerId = id });
        return id;
    }

    /// <summary>Stops and removes a pod and its containers.</summary>
    internal async Task RemovePodAsync(string sandboxId)
    {
        await Cri.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandboxId });
        await Cri.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandboxId });
        lock (_sandboxes) _sandboxes.Remove(sandboxId);
    }

    /// <summary>Removes every pod the tests started (their shims outlive containerd otherwise), then stops containerd.</summary>
    public async Task DisposeAsync()
    {
        string[] sandboxes;
        lock (_sandboxes) sandboxes = [.. _sandboxes];
        foreach (var id in sandboxes)
        {
            try { await RemovePodAsync(id); }
            catch (Grpc.Core.RpcException) { }
        }
        _channel?.Dispose();
        if (_daemon is { HasExited: false })
        {
            // SIGTERM lets it close its stores; the pods are gone, so no shim is left behind.
            await Run("kill", ["-TERM", _daemon.Id.ToString(CultureInfo.InvariantCulture)]);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _daemon.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { _daemon.Kill(); }
        }
        _daemon?.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { } // a mount left by a failed removal: the next run's InitializeAsync starts over
        catch (UnauthorizedAccessException) { }
    }

    private async Task ImportAsync(string rootfsTar, string image, string change)
    {
        var archive = Path.Join(_dir, $"image-{Guid.NewGuid():N}.tar");
        await Run("podman", ["import", "--change", change, rootfsTar, image]);
        try
        {
            await Run("podman", ["save", "--format", "docker-archive", "-o", archive, image]);
            await Ctr(["-n", "k8s.io", "images", "import", archive]);
        }
        finally
        {
            await ExternalCommand.RunAsync("podman", ["rmi", "--force", image], [], CommandTimeout);
            File.Delete(archive);
        }
    }

    private static Dictionary<string, string> KubeletLabels(string ns, string name, string uid) => new()
    {
        ["io.kubernetes.pod.name"] = name,
        ["io.kubernetes.pod.namespace"] = ns,
        ["io.kubernetes.pod.uid"] = uid,
    };

    private Task<string> Ctr(IEnumerable<string> args) => Run("ctr", ["--address", Socket, .. args]);

    private static async Task<string> Run(string program, IEnumerable<string> args)
    {
        var result = await ExternalCommand.RunAsync(program, args, [], CommandTimeout);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({result.ExitCode}): {result.Error}");
        return result.Output;
    }

    private string Config() => $"""
        # containerd for the agent's CRI tests: private directories and socket, the CRI plugin with runc (cgroupfs, as
        # kubelet's cgroupfs driver), a local sandbox image, no CNI (pods use the host network).
        version = 2
        root = "{_dir}/root"
        state = "{_dir}/state"
        disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

        [grpc]
          address = "{Socket}"

        [ttrpc]
          address = "{Socket}.ttrpc"

        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "{SandboxImage}"
          disable_tcp_service = true
          stream_server_address = "127.0.0.1"
          stream_server_port = "0"
          disable_apparmor = true
          # The sandbox asks for oom_score_adj -998 (kubelet's value for pause); this machine refuses a lowered score even
          # to root, so it is clamped to containerd's own.
          restrict_oom_score_adj = true
          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "overlayfs"
            default_runtime_name = "runc"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                SystemdCgroup = false
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "{_dir}/cni-bin"
            conf_dir = "{_dir}/cni-conf"
        """;
}
