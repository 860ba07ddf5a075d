using System.Collections.Concurrent;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using WorkloadProfiles.Agent.Containers.Cri.V1;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Containers.Cri;

/// <summary>
/// The Kubernetes Container Runtime Interface (gRPC over the runtime's unix socket: containerd's
/// <c>/run/containerd/containerd.sock</c>, CRI-O's <c>/var/run/crio/crio.sock</c>): a container's image and tag, its
/// name in the pod, and its pod — namespace, name, uid, labels and the owning workload where the labels say it.
/// <para>
/// One inspection is <c>ListContainers</c> (filtered by id: the container's sandbox), <c>ContainerStatus</c> (image, start)
/// and <c>PodSandboxStatus</c> (the pod); an image the status names only by id or digest is resolved to
/// a tag with <c>ImageStatus</c>. An id the runtime knows as a pod sandbox, not a container, is reported as such
/// (<see cref="ContainerDetails.PodSandbox"/>). Inspections with an image are cached per container id.
/// </para>
/// </summary>
internal sealed class CriContainerRuntime : IContainerRuntime
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private readonly GrpcChannel _channel;
    private readonly RuntimeService.RuntimeServiceClient _runtime;
    private readonly ImageService.ImageServiceClient _images;
    private readonly ConcurrentDictionary<string, ContainerDetails> _cache = new(StringComparer.Ordinal);

    private CriContainerRuntime(string socketPath, GrpcChannel channel, VersionResponse version)
    {
        SocketPath = socketPath;
        _channel = channel;
        _runtime = new RuntimeService.RuntimeServiceClient(channel);
        _images = new ImageService.ImageServiceClient(channel);
        Version = version;
    }

    public string SocketPath { get; }

    /// <summary>What the runtime said about itself when the agent connected.</summary>
    public VersionResponse Version { get; }

    public string Description => $"CRI {Version.RuntimeName} {Version.RuntimeVersion} (API {Version.RuntimeApiVersion}) at unix://{SocketPath}";

    /// <summary>Connects to the CRI at a unix socket and asks its version, so a socket that is not a CRI v1 runtime (absent,
    /// refusing, an HTTP/1 API, a containerd without its CRI plugin) fails here with the runtime's own answer.</summary>
    public static async Task<CriContainerRuntime> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                // gRPC needs HTTP/2; over a unix socket there is no TLS to negotiate it, so the handler connects the socket
                // itself and speaks prior-knowledge HTTP/2 (the channel's default for an http:// address).
                ConnectCallback = async (_, token) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            },
            DisposeHttpClient = true,
        });
        try
        {
            var version = await new RuntimeService.RuntimeServiceClient(channel)
                .VersionAsync(new VersionRequest { Version = "v1" }, deadline: Deadline(), cancellationToken: cancellationToken);
            return new CriContainerRuntime(socketPath, channel, version);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public async Task<ContainerDetails?> InspectAsync(string containerId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(containerId, out var cached)) return cached;

        var listed = (await _runtime.ListContainersAsync(new ListContainersRequest { Filter = new ContainerFilter { Id = containerId } },
            deadline: Deadline(), cancellationToken: cancellationToken)).Containers.FirstOrDefault(c => c.Id == containerId);
        if (listed is null) return await InspectSandboxAsync(containerId, cancellationToken);

        ContainerStatus status;
        try
        {
            status = (await _runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId },
                deadline: Deadline(), cancellationToken: cancellationToken)).Status;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null; // removed between the two calls
        }

        var (name, tag) = await ImageOfAsync(status, listed, cancellationToken);
        var sandbox = await SandboxAsync(listed.PodSandboxId, cancellationToken);
        var containerName = status.Metadata?.Name ?? listed.Metadata?.Name ?? "";
        var kubernetes = sandbox?.Metadata is { } pod
            ? PodMetadata.Create(pod.Namespace, pod.Name, pod.Uid, containerName, sandbox.Labels)
            : PodMetadata.FromContainerLabels(status.Labels); // the sandbox is gone: kubelet's labels on the container still say the pod
        var details = new ContainerDetails(
            new ContainerRef(containerId, name, tag) { Kubernetes = kubernetes },
            containerName,
            status.StartedAt > 0 ? status.StartedAt / 1000 : 0, // CRI times are nanoseconds since the epoch
            status.State == V1.ContainerState.ContainerRunning);
        if (details.Ref.HasImage && details.StartedAtUs > 0) _cache[containerId] = details; // a created container's start comes later
        return details;
    }

    public void Forget(string containerId) => _cache.TryRemove(containerId, out _);

    /// <summary>
    /// The image's name and tag: the status's image when it names one (containerd reports the image's first tag; CRI-O the
    /// name kubelet asked for), else the image the container was created with, else — when both are ids or digests, as for
    /// an image pulled by digest or a container created from an image id — the image service's first tag (or digest) for
    /// the image id.
    /// </summary>
    private async Task<(string? Name, string? Tag)> ImageOfAsync(ContainerStatus status, Container listed, CancellationToken cancellationToken)
    {
        foreach (var candidate in (ReadOnlySpan<string?>)[status.Image?.UserSpecifiedImage, status.Image?.Image, listed.Image?.UserSpecifiedImage, listed.Image?.Image])
            if (Named(candidate) is { } named) return named;

        var imageId = FirstNonEmpty(status.ImageId, listed.ImageId, status.ImageRef, listed.ImageRef, status.Image?.Image, listed.Image?.Image);
        if (imageId is null) return (null, null);
        Image? image;
        try
        {
            image = (await _images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = imageId } },
                deadline: Deadline(), cancellationToken: cancellationToken)).Image;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            image = null;
        }
        if (image is null) return (null, null);
        foreach (var reference in image.RepoTags.Concat(image.RepoDigests))
            if (Named(reference) is { } named) return named;
        return (null, null);
    }

    /// <summary>A reference that names an image (a tag, or a repository with a digest); null for an id or nothing.</summary>
    private static (string? Name, string? Tag)? Named(string? reference) =>
        ImageReference.Split(reference) is ({ } name, { } tag) && !ImageReference.IsImageId(reference!) ? (name, tag) : null;

    private static string? FirstNonEmpty(params ReadOnlySpan<string?> values)
    {
        foreach (var value in values)
            if (!string.IsNullOrEmpty(value)) return value;
        return null;
    }

    /// <summary>The id is not a container: if it is a pod's sandbox, say so (its cgroup holds only the pause process).</summary>
    private async Task<ContainerDetails?> InspectSandboxAsync(string id, CancellationToken cancellationToken)
    {
        if (await SandboxAsync(id, cancellationToken) is not { } sandbox) return null;
        var pod = sandbox.Metadata;
        var kubernetes = pod is null ? null : PodMetadata.Create(pod.Namespace, pod.Name, pod.Uid, "", sandbox.Labels);
        var details = new ContainerDetails(new ContainerRef(id, null, null) { Kubernetes = kubernetes }, pod?.Name ?? "",
            sandbox.CreatedAt / 1000, sandbox.State == PodSandboxState.SandboxReady, PodSandbox: true);
        _cache[id] = details;
        return details;
    }

    private async Task<PodSandboxStatus?> SandboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(sandboxId)) return null;
        try
        {
            return (await _runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandboxId },
                deadline: Deadline(), cancellationToken: cancellationToken)).Status;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private static DateTime Deadline() => DateTime.UtcNow + CallTimeout;

    public void Dispose() => _channel.Dispose();
}
