using Grpc.Core;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.Agent.Containers.Cri;

namespace WorkloadProfiles.Agent.Containers;

/// <summary>No container runtime answered at the configured endpoints; the message names each one tried and its answer.</summary>
internal sealed class ContainerRuntimeUnavailableException(string message) : Exception(message);

/// <summary>
/// Connects the container runtimes <see cref="AgentOptions.ContainerRuntimeEndpoint"/> names:
/// <list type="bullet">
/// <item><c>auto</c> (default): every well-known socket that answers — containerd's and CRI-O's CRI
/// (<see cref="WellKnownEndpoints"/>), then Docker's and Podman's Engine API — so a Kubernetes node, a Docker host and a
/// host running both resolve all of their containers;</item>
/// <item><c>cri+unix:///path</c> or <c>docker+unix:///path</c> (also <c>docker+tcp://…</c>, <c>docker+http://…</c>): that
/// API at that address;</item>
/// <item><c>unix:///path</c>: whichever of the two the socket speaks (the CRI is asked first);</item>
/// <item><c>tcp://host:port</c>, <c>http://host:port</c>: the Docker Engine API;</item>
/// <item>a comma-separated list of the above: all of them; each must answer.</item>
/// </list>
/// Every endpoint is probed once at start (CRI <c>Version</c>, Docker <c>_ping</c>); when none answers the agent stops
/// with an error naming every endpoint it tried and why each failed.
/// </summary>
internal static class ContainerRuntimes
{
    public const string Auto = "auto";

    /// <summary>Probed in this order for <c>auto</c>.</summary>
    public static readonly IReadOnlyList<string> WellKnownEndpoints =
    [
        "cri+unix:///run/containerd/containerd.sock",
        "cri+unix:///var/run/crio/crio.sock",
        "docker+unix:///var/run/docker.sock",
        "docker+unix:///run/podman/podman.sock",
    ];

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public static async Task<IContainerRuntime> ConnectAsync(string setting, ILogger logger, CancellationToken cancellationToken)
    {
        var auto = string.IsNullOrWhiteSpace(setting) || setting.Trim().Equals(Auto, StringComparison.OrdinalIgnoreCase);
        var endpoints = auto ? WellKnownEndpoints : setting.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var connected = new List<IContainerRuntime>();
        var failures = new List<string>();
        try
        {
            foreach (var endpoint in endpoints)
            {
                var (runtime, failure) = await ProbeAsync(endpoint, cancellationToken);
                if (runtime is not null)
                {
                    logger.LogInformation("Container runtime: {Runtime}", runtime.Description);
                    connected.Add(runtime);
                }
                else
                {
                    failures.Add($"{endpoint}: {failure}");
                    if (auto) logger.LogDebug("No container runtime at {Endpoint}: {Failure}", endpoint, failure);
                }
            }
            if (connected.Count == 0 || (!auto && failures.Count > 0))
            {
                throw new ContainerRuntimeUnavailableException(
                    $"Agent:ContainerRuntimeEndpoint={(auto ? Auto : setting)}: " +
                    (auto ? "no container runtime answered at the well-known sockets" : "a configured container runtime did not answer") +
                    $". Tried:{string.Concat(failures.Select(f => $"{Environment.NewLine}  {f}"))}" +
                    $"{Environment.NewLine}Set Agent:ContainerRuntimeEndpoint (WP_Agent__ContainerRuntimeEndpoint) to the runtime's socket, " +
                    "e.g. cri+unix:///run/containerd/containerd.sock or docker+unix:///var/run/docker.sock, and check that the agent can open it.");
            }
            return connected.Count == 1 ? connected[0] : new CompositeContainerRuntime(connected);
        }
        catch
        {
            foreach (var runtime in connected) runtime.Dispose();
            throw;
        }
    }

    /// <summary>One endpoint: the runtime when it answers, else why not.</summary>
    internal static async Task<(IContainerRuntime? Runtime, string? Failure)> ProbeAsync(string endpoint, CancellationToken cancellationToken)
    {
        var plus = endpoint.IndexOf('+');
        var colon = endpoint.IndexOf("://", StringComparison.Ordinal);
        if (colon <= 0) return (null, "not an endpoint URI (expected e.g. unix:///run/containerd/containerd.sock)");
        var api = plus > 0 && plus < colon ? endpoint[..plus] : null;
        var address = plus > 0 && plus < colon ? endpoint[(plus + 1)..] : endpoint;
        var scheme = address[..address.IndexOf("://", StringComparison.Ordinal)];

        switch (api, scheme)
        {
            case ("cri", "unix"):
                return await ProbeCriAsync(SocketPath(address), cancellationToken);
            case ("docker", _) when scheme is "unix" or "tcp" or "http" or "https":
            case (null, "tcp" or "http" or "https"):
                return await ProbeDockerAsync(address, cancellationToken);
            case (null, "unix"):
            {
                var path = SocketPath(address);
                var cri = await ProbeCriAsync(path, cancellationToken);
                if (cri.Runtime is not null || !File.Exists(path)) return cri;
                var docker = await ProbeDockerAsync(address, cancellationToken);
                return docker.Runtime is not null ? docker : (null, $"{cri.Failure}; {docker.Failure}");
            }
            default:
                return (null, $"unsupported endpoint '{endpoint}' (use auto, cri+unix://, docker+unix://, unix://, tcp:// or http://)");
        }
    }

    private static string SocketPath(string unixUri) => unixUri["unix://".Length..];

    private static async Task<(IContainerRuntime? Runtime, string? Failure)> ProbeCriAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) return (null, "CRI: no such socket");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            return (await CriContainerRuntime.ConnectAsync(path, timeout.Token), null);
        }
        catch (RpcException ex)
        {
            return (null, $"CRI: {ex.StatusCode}: {ex.Status.Detail}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (null, $"CRI: {ex.GetBaseException().Message}");
        }
    }

    private static async Task<(IContainerRuntime? Runtime, string? Failure)> ProbeDockerAsync(string address, CancellationToken cancellationToken)
    {
        if (address.StartsWith("unix://", StringComparison.Ordinal) && !File.Exists(SocketPath(address)))
            return (null, "Docker Engine API: no such socket");
        var docker = new DockerContainerRuntime(address);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await docker.PingAsync(timeout.Token);
            return (docker, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            docker.Dispose();
            return (null, $"Docker Engine API: {ex.GetBaseException().Message}");
        }
    }
}

/// <summary>Several runtimes on one host (e.g. containerd for kubelet and Docker for builds): a container is whoever's knows it.</summary>
internal sealed class CompositeContainerRuntime(IReadOnlyList<IContainerRuntime> runtimes) : IContainerRuntime
{
    public string Description => string.Join(" + ", runtimes.Select(r => r.Description));

    public async Task<ContainerDetails?> InspectAsync(string containerId, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        foreach (var runtime in runtimes)
        {
            try
            {
                if (await runtime.InspectAsync(containerId, cancellationToken) is { } details) return details;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failure ??= ex; // another runtime may still know it
            }
        }
        return failure is null ? null : throw failure;
    }

    public void Forget(string containerId)
    {
        foreach (var runtime in runtimes) runtime.Forget(containerId);
    }

    public void Dispose()
    {
        foreach (var runtime in runtimes) runtime.Dispose();
    }
}
