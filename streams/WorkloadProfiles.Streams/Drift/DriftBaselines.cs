using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Streams.Drift;

/// <summary>
/// The compact drift baselines of the profiles the drift policy watches, fed by the <c>wp.profiles</c> global store and
/// read by every snapshot task. Only watched profiles are kept (Stable, or Learning past the policy's bound): memory is
/// the baselines' arrays, 8 bytes per node and per signature, not the profiles.
/// </summary>
public sealed class DriftBaselines(DriftPolicy policy)
{
    readonly ConcurrentDictionary<ProfileKey, DriftBaseline> _byKey = new();
    long _bytes;

    public int Count => _byKey.Count;

    /// <summary>Bytes held by all baselines.</summary>
    public long MemoryBytes => Interlocked.Read(ref _bytes);

    public void Apply(SecurityProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!policy.Watches(profile.Status, profile.SnapshotCount))
        {
            Remove(profile.Key);
            return;
        }

        var baseline = DriftBaseline.From(profile);
        _byKey.AddOrUpdate(profile.Key,
            _ =>
            {
                Interlocked.Add(ref _bytes, baseline.MemoryBytes);
                return baseline;
            },
            (_, old) =>
            {
                Interlocked.Add(ref _bytes, baseline.MemoryBytes - old.MemoryBytes);
                return baseline;
            });
    }

    /// <summary>A tombstone on <c>wp.profiles</c>, keyed <c>image@version</c>.</summary>
    public void Remove(string recordKey)
    {
        if (ProfileKey.TryParse(recordKey, out var key))
        {
            Remove(key);
        }
    }

    public bool TryGet(ProfileKey key, [NotNullWhen(true)] out DriftBaseline? baseline) => _byKey.TryGetValue(key, out baseline);

    void Remove(ProfileKey key)
    {
        if (_byKey.TryRemove(key, out var old))
        {
            Interlocked.Add(ref _bytes, -old.MemoryBytes);
        }
    }
}
