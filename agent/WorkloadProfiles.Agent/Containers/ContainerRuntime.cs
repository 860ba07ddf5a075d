using System.Collections.Concurrent;
using Docker.DotNet;
using Docker.DotNet.Models;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Containers;

/// <summary>What the container runtime says about a container. <see cref="PodSandbox"/>: the id is a Kubernetes pod's
/// sandbox (the pause process that holds the pod's namespaces), which runs no workload.</summary>
internal sealed record ContainerDetails(ContainerRef Ref, string Name, long StartedAtUs, bool Running, bool PodSandbox = false);

/// <summary>
/// A container runtime the agent asks who a container is: its image and, on Kubernetes nodes, its pod (the Docker Engine
/// API of Docker or Podman: <see cref="DockerContainerRuntime"/>; the CRI of containerd or CRI-O:
/// <see cref="Cri.CriContainerRuntime"/>). <see cref="ContainerRuntimes.ConnectAsync"/> picks them from the configuration.
/// </summary>
internal interface IContainerRuntime : IDisposable
{
    /// <summary>What it talks to, for logs, e.g. <c>CRI containerd 1.6.20 at unix:///run/containerd/containerd.sock</c>.</summary>
    string Description { get; }

    /// <summary>The container's details, or null when the runtime does not know the id.</summary>
    Task<ContainerDetails?> InspectAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Drops what is cached about a container that is gone.</summary>
    void Forget(string containerId);
}

/// <summary>
/// Docker Engine API client over a unix socket (Docker's /var/run/docker.sock or Podman's `podman system service`).
/// Inspections are cached per container id: image and name never change for a container. On a Kubernetes node that runs
/// Docker through cri-dockerd, kubelet's labels on the container give its pod (not the pod's own labels).
/// </summary>
internal sealed class DockerContainerRuntime : IContainerRuntime
{
    private readonly DockerClient _client;
    private readonly ConcurrentDictionary<string, ContainerDetails> _cache = new();

    public DockerContainerRuntime(string endpoint)
    {
        Endpoint = endpoint;
        _client = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).Build();
    }

    public string Endpoint { get; }

    public string Description => $"Docker Engine API at {Endpoint}";

    /// <summary>Whether the API answers (<c>GET /_ping</c>).</summary>
    public Task PingAsync(CancellationToken cancellationToken) => _client.System.PingAsync(cancellationToken);

    public async Task<ContainerDetails?> InspectAsync(string containerId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(containerId, out var cached)) return cached;
        ContainerInspectResponse response;
        try
        {
            response = await _client.Containers.InspectContainerAsync(containerId, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
        var (name, tag) = ImageReference.Split(response.Config?.Image);
        var startedAt = DateTimeOffset.TryParse(response.State?.StartedAt, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var started) && started > DateTimeOffset.UnixEpoch
            ? started.ToUnixTimeMilliseconds() * 1000
            : 0;
        var details = new ContainerDetails(
            new ContainerRef(response.ID ?? containerId, name, tag) { Kubernetes = PodMetadata.FromContainerLabels(response.Config?.Labels?.AsReadOnly()) },
            (response.Name ?? "").TrimStart('/'),
            startedAt,
            response.State?.Running ?? false);
        if (details.Ref.HasImage && details.StartedAtUs > 0) _cache[containerId] = details; // a created container's start comes later
        return details;
    }

    public void Forget(string containerId) => _cache.TryRemove(containerId, out _);

    public void Dispose() => _client.Dispose();
}

/// <summary>Splits an image reference into container.image.name and container.image.tag.</summary>
internal static class ImageReference
{
    /// <summary>
    /// <c>registry/repo:tag</c> → (registry/repo, tag); <c>repo@sha256:…</c> → (repo, sha256:…);
    /// <c>repo:tag@sha256:…</c> → (repo, tag): the version is what a profile is keyed by; no tag → latest.
    /// Docker Hub names take their familiar form (<c>docker.io/library/nginx</c> → <c>nginx</c>,
    /// <c>docker.io/bitnami/redis</c> → <c>bitnami/redis</c>), as Docker shows them, so a CRI node (which reports the
    /// fully qualified name) and a Docker host feed the same profile.
    /// A bare image id (<c>sha256:…</c> or 64 hex digits, a container created from an id) has no name: both parts are null.
    /// </summary>
    public static (string? Name, string? Tag) Split(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference) || IsImageId(reference)) return (null, null);
        string? digest = null;
        var at = reference.IndexOf('@');
        if (at > 0)
        {
            digest = reference[(at + 1)..];
            reference = reference[..at];
        }
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/')
            ? (Familiar(reference[..colon]), reference[(colon + 1)..])
            : (Familiar(reference), digest ?? "latest");
    }

    /// <summary>An image id rather than a name: <c>sha256:&lt;hex&gt;</c> or the 64 hex digits alone.</summary>
    public static bool IsImageId(string reference) =>
        reference.StartsWith("sha256:", StringComparison.Ordinal) || (reference.Length == 64 && reference.All(char.IsAsciiHexDigitLower));

    private static string Familiar(string name)
    {
        foreach (var hub in (ReadOnlySpan<string>)["docker.io/", "index.docker.io/", "registry-1.docker.io/"])
        {
            if (!name.StartsWith(hub, StringComparison.Ordinal)) continue;
            var path = name[hub.Length..];
            return path.StartsWith("library/", StringComparison.Ordinal) && path.IndexOf('/', "library/".Length) < 0 ? path["library/".Length..] : path;
        }
        return name;
    }
}
