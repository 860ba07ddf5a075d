using WorkloadProfiles.Contracts.Mapping;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Contracts;

/// <summary>The catalogue of every Avro contract of the pipeline, one per schemas/*.avsc file.</summary>
public static class AvroContracts
{
    public static AvroContract<RawEvent> RawEvent { get; } = new("RawEvent.avsc", RawEventMapping.WriteEvent, RawEventMapping.ReadEvent);
    public static AvroContract<RawEventBatch> RawEventBatch { get; } = new("RawEventBatch.avsc", RawEventMapping.WriteBatch, RawEventMapping.ReadBatch);
    public static AvroContract<ActivitySnapshot> ActivitySnapshot { get; } = new("ActivitySnapshot.avsc", SnapshotMapping.Write, SnapshotMapping.Read);
    public static AvroContract<SecurityProfile> SecurityProfile { get; } = new("SecurityProfile.avsc", ProfileMapping.Write, ProfileMapping.Read);
    public static AvroContract<SecuritySignal> SecuritySignal { get; } = new("SecuritySignal.avsc", SignalMapping.WriteSignal, SignalMapping.ReadSignal);
    public static AvroContract<EnrichedSignal> EnrichedSignal { get; } = new("EnrichedSignal.avsc", SignalMapping.WriteEnriched, SignalMapping.ReadEnriched);
    public static AvroContract<Suppression> Suppression { get; } = new("Suppression.avsc", SignalMapping.WriteSuppression, SignalMapping.ReadSuppression);
    public static AvroContract<ContainerInfo> ContainerInfo { get; } = new("ContainerInfo.avsc", InventoryMapping.WriteContainerInfo, InventoryMapping.ReadContainerInfo);
    public static AvroContract<DeadLetter> DeadLetter { get; } = new("DeadLetter.avsc", InventoryMapping.WriteDeadLetter, InventoryMapping.ReadDeadLetter);

    public static IReadOnlyList<IAvroContract> All { get; } =
        [RawEvent, RawEventBatch, ActivitySnapshot, SecurityProfile, SecuritySignal, EnrichedSignal, Suppression, ContainerInfo, DeadLetter];

    /// <summary>The contract of a domain record type.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has no Avro contract.</exception>
    public static AvroContract<T> Of<T>() where T : class =>
        All.OfType<AvroContract<T>>().SingleOrDefault()
        ?? throw new ArgumentException($"{typeof(T).Name} has no Avro contract; contracts exist for {string.Join(", ", All.Select(c => c.ValueType.Name))}");

    /// <summary>The contract whose current or historical schema has <paramref name="fingerprint"/>, or null.</summary>
    public static IAvroContract? FindByFingerprint(ulong fingerprint) =>
        All.FirstOrDefault(c => c.Fingerprint == fingerprint || c.History.Any(h => SchemaFiles.FingerprintOf(h) == fingerprint));

    /// <summary>The contract whose record has the full Avro <paramref name="name"/>, or null.</summary>
    public static IAvroContract? FindByName(string name) => All.FirstOrDefault(c => c.Name == name);
}
