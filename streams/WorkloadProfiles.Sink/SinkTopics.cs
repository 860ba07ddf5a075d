using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Sink;

/// <summary>The rows one record becomes in one table.</summary>
internal sealed record TableRows(ClickHouseTable Table, IReadOnlyList<object?[]> Rows);

/// <summary>One consumed topic: how a record value decodes (Avro contract) and which rows it becomes.</summary>
internal interface ISinkTopic
{
    string Name { get; }

    /// <exception cref="ContractException">The value does not decode; the reason is the dead-letter reason.</exception>
    IReadOnlyList<TableRows> Map(ReadOnlySpan<byte> value);
}

internal sealed class SinkTopic<T>(string name, IAvroCodec<T> codec, Func<T, IReadOnlyList<TableRows>> map) : ISinkTopic
    where T : class
{
    public string Name => name;

    public IReadOnlyList<TableRows> Map(ReadOnlySpan<byte> value) => map(codec.Deserialize(value));
}

/// <summary>The five topics the sink writes to ClickHouse, each with its tables.</summary>
internal static class SinkTopics
{
    public static IReadOnlyList<ISinkTopic> Create(SinkTopicNames names, AvroCodecs codecs) =>
    [
        new SinkTopic<ActivitySnapshot>(names.Snapshots, codecs.For<ActivitySnapshot>(names.Snapshots), snapshot =>
        [
            new(SnapshotsTable.Table, [SnapshotsTable.Row(snapshot)]),
            new(SnapshotNodesTable.Table, SnapshotNodesTable.Rows(snapshot).ToList()),
        ]),
        new SinkTopic<SecurityProfile>(names.Profiles, codecs.For<SecurityProfile>(names.Profiles), profile =>
        [
            new(ProfilesTable.Table, [ProfilesTable.Row(profile)]),
            new(ProfileNodesTable.Table, ProfileNodesTable.Rows(profile).ToList()),
        ]),
        new SinkTopic<EnrichedSignal>(names.SignalsEnriched, codecs.For<EnrichedSignal>(names.SignalsEnriched), signal =>
            [new(EnrichedSignalsTable.Table, [EnrichedSignalsTable.Row(signal)])]),
        new SinkTopic<Suppression>(names.Suppressions, codecs.For<Suppression>(names.Suppressions), suppression =>
            [new(SuppressionsTable.Table, [SuppressionsTable.Row(suppression)])]),
        new SinkTopic<ContainerInfo>(names.Containers, codecs.For<ContainerInfo>(names.Containers), container =>
            [new(ContainersTable.Table, [ContainersTable.Row(container)])]),
    ];
}
