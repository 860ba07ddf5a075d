using System.Collections.Concurrent;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;

namespace WorkloadProfiles.Agent.Scheduling;

/// <summary>The latest known status of image profiles (from the compacted wp.profiles topic).</summary>
public interface IProfileStatusSource
{
    /// <summary>The profile's status, or null when no profile exists yet for the image version.</summary>
    ProfileStatus? StatusOf(ProfileKey key);
}

/// <summary>Statuses held in memory: filled by the wp.profiles follower, or directly by tests.</summary>
public sealed class ProfileStatusTable : IProfileStatusSource
{
    private readonly ConcurrentDictionary<ProfileKey, ProfileStatus> _statuses = new();

    public ProfileStatus? StatusOf(ProfileKey key) => _statuses.TryGetValue(key, out var status) ? status : null;

    public void Set(ProfileKey key, ProfileStatus status) => _statuses[key] = status;
}
