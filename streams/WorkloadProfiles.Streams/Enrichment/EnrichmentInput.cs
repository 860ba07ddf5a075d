using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Enrichment;

/// <summary>
/// One record of the enrichment processor's merged input: a profile update (the table side) or a signal (the stream
/// side). Merging both topics into one processor lets it keep decoded profiles in memory instead of decoding a profile
/// from a table store for every signal.
/// </summary>
internal sealed class EnrichmentInput
{
    EnrichmentInput(Decoded<SecurityProfile> profile, Decoded<SecuritySignal> signal, bool isProfile)
    {
        Profile = profile;
        Signal = signal;
        IsProfile = isProfile;
    }

    public bool IsProfile { get; }
    public Decoded<SecurityProfile> Profile { get; }
    public Decoded<SecuritySignal> Signal { get; }

    public static EnrichmentInput ForProfile(Decoded<SecurityProfile> profile) => new(profile, Decoded.Tombstone<SecuritySignal>(), isProfile: true); // the unused side is never read

    public static EnrichmentInput ForSignal(Decoded<SecuritySignal> signal) => new(Decoded.Tombstone<SecurityProfile>(), signal, isProfile: false);
}
