using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Domain.Profiles;

public enum MergeOutcome { Applied, RejectedStable, Duplicate, WrongProfile }

/// <summary>
/// The mutable state of one profile: merges snapshots (a map union on node ids), keeps per-node snapshot and container
/// counts and Σsₙ, Σsₙ² so profile commonality updates incrementally, and runs the status machine with an injected clock.
/// </summary>
public sealed class ProfileAggregate
{
    public ProfileAggregate(ProfileKey key, ProfilePolicy? policy = null) => throw new NotImplementedException();

    /// <summary>Rebuilds the aggregate from its published form (e.g. restored from a changelog).</summary>
    public static ProfileAggregate FromProfile(SecurityProfile profile, ProfilePolicy? policy = null) => throw new NotImplementedException();

    public ProfileKey Key => throw new NotImplementedException();
    public ProfileStatus Status => throw new NotImplementedException();

    /// <summary>Merges one snapshot at wall-clock <paramref name="nowUs"/>; Stable profiles reject (counted), replays are duplicates (counted).</summary>
    public MergeOutcome Merge(ActivitySnapshot snapshot, long nowUs) => throw new NotImplementedException();

    /// <summary>Applies the time rule without a snapshot (the 48 h punctuator). True if the status changed.</summary>
    public bool Tick(long nowUs) => throw new NotImplementedException();

    public SecurityProfile ToProfile() => throw new NotImplementedException();
}
