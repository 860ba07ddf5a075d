using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>The contract codecs of every value the stream jobs read or write.</summary>
public sealed record PipelineCodecs(
    IAvroCodec<RawEventBatch> Batches,
    IAvroCodec<ActivitySnapshot> Snapshots,
    IAvroCodec<SecurityProfile> Profiles,
    IAvroCodec<SecuritySignal> Signals,
    IAvroCodec<EnrichedSignal> EnrichedSignals,
    IAvroCodec<Suppression> Suppressions,
    IAvroCodec<ContainerInfo> Containers,
    IAvroCodec<DeadLetter> DeadLetters)
{
    public static PipelineCodecs From(AvroCodecs codecs) => new(
        codecs.For<RawEventBatch>(),
        codecs.For<ActivitySnapshot>(),
        codecs.For<SecurityProfile>(),
        codecs.For<SecuritySignal>(),
        codecs.For<EnrichedSignal>(),
        codecs.For<Suppression>(),
        codecs.For<ContainerInfo>(),
        codecs.For<DeadLetter>());
}
