namespace WorkloadProfiles.Domain.Profiles;

/// <summary>The Learning → Stable rule: Stable at <see cref="StableSnapshotCount"/> snapshots or <see cref="StableAfter"/>
/// since the first snapshot was processed, whichever comes first (DESIGN "Stable rule").</summary>
public sealed record ProfilePolicy
{
    public int StableSnapshotCount { get; init; } = 200;
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromHours(48);
    /// <summary>Argument signatures kept per process node (DESIGN "Argument signature": N, default 32).</summary>
    public int MaxSignaturesPerNode { get; init; } = 32;

    /// <summary>
    /// Largest encoded profile (<see cref="EncodedSize"/>): new nodes beyond it are dropped and counted in
    /// <see cref="SecurityProfile.DroppedNodes"/>, a tenth of it stays free for the ids of later snapshots, and a snapshot
    /// whose ids no longer fit is rejected (counted). Default 960 KiB, under a 1 MB broker's message size.
    /// </summary>
    public int MaxBytes { get; init; } = 960 * 1024;
    public static ProfilePolicy Default { get; } = new();
}
