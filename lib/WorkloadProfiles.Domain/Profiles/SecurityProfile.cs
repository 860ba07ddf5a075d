using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Domain.Profiles;

public enum ProfileStatus { Learning = 0, Stable = 1 }

/// <summary>One behaviour of a profile with its commonality.</summary>
public sealed record ProfileNode
{
    public required ulong Id { get; init; }
    public required ulong ParentId { get; init; }
    public required NodeKind Kind { get; init; }
    public required string Key { get; init; }
    /// <summary>sₙ: snapshots containing this node.</summary>
    public long SnapshotCount { get; init; }
    /// <summary>Distinct containers whose snapshots contained this node.</summary>
    public long ContainerCount { get; init; }
    public long EventCount { get; init; }
    public long FirstSeenUs { get; init; }
    public long LastSeenUs { get; init; }
    public FileAccessMode Access { get; init; }
    /// <summary>sₙ / S.</summary>
    public double Commonality { get; init; }
    /// <summary>containersₙ / containers — so one noisy container cannot dominate.</summary>
    public double ContainerCommonality { get; init; }
    /// <summary>
    /// Which containers contributed: bit i (byte i / 8, least significant bit first) is set when the container
    /// <see cref="SecurityProfile.ContainerIds"/>[i] had a snapshot containing this node. Kept so that a profile restored from its
    /// published form counts a container's later snapshots correctly; 25 bytes for 200 containers.
    /// </summary>
    public byte[] ContainerBits { get; init; } = [];
    /// <summary>Process nodes: the argument signatures seen for this node, each with the snapshots that contained it, sorted
    /// ordinally; at most <see cref="ProfilePolicy.MaxSignaturesPerNode"/>.</summary>
    public IReadOnlyList<ProfileSignature> Signatures { get; init; } = [];
    /// <summary>More distinct signatures were seen than the profile keeps: an unknown signature may have been normal, so it
    /// never gets a suggestion.</summary>
    public bool SignaturesOverflowed { get; init; }

    /// <summary>The signature with this text, or null.</summary>
    public ProfileSignature? SignatureOf(string signature)
    {
        foreach (var known in Signatures)
            if (string.Equals(known.Text, signature, StringComparison.Ordinal)) return known;
        return null;
    }
}

/// <summary>One argument signature of a process node: in how many snapshots it ran, and that share of the profile's snapshots.</summary>
public sealed record ProfileSignature(string Text, long SnapshotCount, double Commonality);

/// <summary>
/// The behaviour model of one image@version — the value of the compacted <c>wp.profiles</c> topic.
/// Immutable snapshot of the aggregate; <see cref="ProfileAggregate"/> (in the merge code) is the mutable state.
/// </summary>
public sealed record SecurityProfile
{
    public required ProfileKey Key { get; init; }
    public ProfileStatus Status { get; init; }
    /// <summary>S: snapshots merged.</summary>
    public long SnapshotCount { get; init; }
    public long ContainerCount { get; init; }
    public long HostCount { get; init; }
    /// <summary>Snapshots that arrived after the profile turned Stable, or when it had no room left for their ids: counted, not applied.</summary>
    public long RejectedSnapshots { get; init; }
    /// <summary>Snapshots whose id had already been merged (replays): counted, not applied.</summary>
    public long DuplicateSnapshots { get; init; }
    /// <summary>New nodes the profile did not take because it reached <see cref="ProfilePolicy.MaxBytes"/>.</summary>
    public long DroppedNodes { get; init; }
    /// <summary>Wall-clock time the first snapshot was processed (starts the 48 h clock).</summary>
    public long FirstProcessedUs { get; init; }
    /// <summary>Wall-clock time the behaviour model or the status last changed (counting a rejected or duplicate snapshot does not move it).</summary>
    public long LastUpdatedUs { get; init; }
    public long? StableSinceUs { get; init; }
    /// <summary>Pooled overlap of all snapshot pairs: Σ sₙ(sₙ−1) / ((S−1) Σ sₙ); 1.0 when S = 1 or when every snapshot was empty; 0 when S = 0.</summary>
    public double Commonality { get; init; }
    /// <summary>Increases whenever the published form changes (merge, status change, rejected or duplicate count); the ClickHouse ReplacingMergeTree version.</summary>
    public long Revision { get; init; }
    public required IReadOnlyList<ProfileNode> Nodes { get; init; }
    /// <summary>Ids of the snapshots merged, sorted ordinally so the same set merged in any order publishes the same profile
    /// (at most the Stable threshold); also what recognises replays.</summary>
    public required IReadOnlyList<string> SnapshotIds { get; init; }
    /// <summary>Ids of the distinct containers merged, sorted ordinally; <see cref="ProfileNode.ContainerBits"/> indexes into it.</summary>
    public required IReadOnlyList<string> ContainerIds { get; init; }
    /// <summary>Distinct host names, sorted ordinally.</summary>
    public required IReadOnlyList<string> HostNames { get; init; }
}
