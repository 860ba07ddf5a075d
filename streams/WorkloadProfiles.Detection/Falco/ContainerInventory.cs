using System.Collections.Concurrent;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Detection.Falco;

/// <summary>
/// The agents' container inventory (the <c>wp.containers</c> table) for the Falco bridge: Falco names a container by its
/// 12-character short id (or the full id) and its image by whatever the runtime reported (often registry-qualified,
/// <c>docker.io/library/nginx</c>), while profiles are keyed by the image the agent resolved. Looking the container up by
/// id gives the agent's full id and image, so a Falco signal meets the same profile and suppressions as the agent's own.
/// Writes come from the table's update path; lookups are lock-free.
/// </summary>
public sealed class ContainerInventory
{
    /// <summary>Docker and Falco shorten container ids to this many hex characters.</summary>
    public const int ShortIdLength = 12;

    private readonly ConcurrentDictionary<string, ContainerRef> _byId = new(StringComparer.Ordinal);
    // Short id → full id; null marks two containers sharing a short id (then only a full id resolves).
    private readonly ConcurrentDictionary<string, string?> _byShortId = new(StringComparer.Ordinal);

    public int Count => _byId.Count;

    /// <summary>Adds or updates a container the agent reported (exited ones too: a late alert still resolves).</summary>
    public void Apply(ContainerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var container = info.Container;
        if (string.IsNullOrEmpty(container.Id)) return;
        _byId[container.Id] = container;
        if (container.Id.Length > ShortIdLength)
        {
            var shortId = container.Id[..ShortIdLength];
            _byShortId.AddOrUpdate(shortId, container.Id, (_, known) => known == container.Id ? known : null);
        }
    }

    /// <summary>Forgets a container (a tombstone on the table).</summary>
    public void Remove(string containerId)
    {
        if (!_byId.TryRemove(containerId, out _) || containerId.Length <= ShortIdLength) return;
        _byShortId.TryRemove(new KeyValuePair<string, string?>(containerId[..ShortIdLength], containerId));
    }

    /// <summary>
    /// The agent's view of the container an alert names: its full id and resolved image when the inventory knows it (by
    /// full id, or by an unambiguous short id), else the alert's own values.
    /// </summary>
    public ContainerRef Resolve(ContainerRef fromAlert)
    {
        ArgumentNullException.ThrowIfNull(fromAlert);
        if (_byId.TryGetValue(fromAlert.Id, out var known)) return WithImage(known, fromAlert);
        if (fromAlert.Id.Length == ShortIdLength && _byShortId.TryGetValue(fromAlert.Id, out var fullId) && fullId is not null
            && _byId.TryGetValue(fullId, out known))
            return WithImage(known, fromAlert);
        return fromAlert;
    }

    // An inventory entry without a resolved image keeps the alert's image rather than losing it.
    private static ContainerRef WithImage(ContainerRef known, ContainerRef fromAlert) =>
        known.HasImage ? known : known with { ImageName = fromAlert.ImageName, ImageTag = fromAlert.ImageTag };
}
