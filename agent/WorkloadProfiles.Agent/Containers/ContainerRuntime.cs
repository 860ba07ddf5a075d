using System.Collections.Concurrent;
using Docker.DotNet;
using Docker.DotNet.Models;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Containers;

/// <summary>What the container runtime says about a container.</summary>
internal sealed record ContainerDetails(ContainerRef Ref, string Name, long StartedAtUs, bool Running);

/// <summary>The container runtime the agent asks for a container's image (Docker Engine API; Podman serves it too).</summary>
internal interface IContainerRuntime
{
    /// <summary>The container's details, or null when the runtime does not know the id.</summary>
    Task<ContainerDetails?> InspectAsync(string containerId, CancellationToken cancellationToken);
}

/// <summary>
/// Docker Engine API client over a unix socket (Docker's /var/run/docker.sock or Podman's `podman system service`).
/// Inspections are cached per container id: image and name never change for a container.
/// </summary>
internal sealed class DockerContainerRuntime : IContainerRuntime, IDisposable
{
    private readonly DockerClient _client;
    private readonly ConcurrentDictionary<string, ContainerDetails> _cache = new();

    public DockerContainerRuntime(string endpoint)
    {
        _client = new DockerClientBuilder().WithEndpoint(new Uri(endpoint)).Build();
    }

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
            new ContainerRef(response.ID ?? containerId, name, tag),
            (response.Name ?? "").TrimStart('/'),
            startedAt,
            response.State?.Running ?? false);
        if (details.Ref.HasImage) _cache[containerId] = details;
        return details;
    }

    public void Forget(string containerId) => _cache.TryRemove(containerId, out _);

    public void Dispose() => _client.Dispose();
}

/// <summary>Splits an image reference into container.image.name and container.image.tag.</summary>
internal static class ImageReference
{
    /// <summary>
    /// <c>registry/repo:tag</c> → (registry/repo, tag); <c>repo@sha256:…</c> → (repo, sha256:…); no tag → latest.
    /// A bare image id (<c>sha256:…</c>, a container created from an id) has no name: both parts are null.
    /// </summary>
    public static (string? Name, string? Tag) Split(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference) || reference.StartsWith("sha256:", StringComparison.Ordinal)) return (null, null);
        var at = reference.IndexOf('@');
        if (at > 0) return (reference[..at], reference[(at + 1)..]);
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }
}
