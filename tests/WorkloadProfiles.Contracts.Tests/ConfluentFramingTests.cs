using System.Buffers.Binary;
using System.Net.Http;

namespace WorkloadProfiles.Contracts.Tests;

public class ConfluentFramingTests
{
    private readonly FakeSchemaRegistry _registry = FakeSchemaRegistry.Create();

    [Fact]
    public void Values_are_framed_with_magic_zero_and_the_big_endian_id_registered_under_topic_value()
    {
        using var codecs = new AvroCodecs(registry: _registry.Client);
        var codec = codecs.For<RawEventBatch>();

        var first = codec.Serialize(Samples.FullBatch);
        var second = codec.Serialize(Samples.MinimalBatch);

        var (subject, schema) = Assert.Single(_registry.Registrations);
        Assert.Equal("wp.events.raw-value", subject);
        Assert.Equal(AvroContracts.RawEventBatch.SchemaJson, schema);
        Assert.Equal(0x00, first[0]);
        Assert.Equal(100, BinaryPrimitives.ReadInt32BigEndian(first.AsSpan(1, 4)));
        Assert.Equal(AvroContracts.RawEventBatch.EncodeBody(Samples.FullBatch), first[5..]);
        Assert.Equal(1, _registry.Calls.Count(c => c == "RegisterSchemaAsync"));
        DeepEquality.AssertEqual(Samples.FullBatch, codec.Deserialize(first));
        DeepEquality.AssertEqual(Samples.MinimalBatch, codec.Deserialize(second));
    }

    [Fact]
    public void Without_auto_registration_the_id_is_looked_up_and_a_missing_schema_is_unknown()
    {
        using var codecs = new AvroCodecs(new AvroCodecOptions { AutoRegisterSchemas = false }, _registry.Client);
        var codec = codecs.For<ActivitySnapshot>();

        var missing = Assert.Throws<ContractException>(() => codec.Serialize(Samples.FullSnapshot));
        var id = _registry.Register("wp.snapshots-value", AvroContracts.ActivitySnapshot.SchemaJson);
        var bytes = codec.Serialize(Samples.FullSnapshot);

        Assert.Equal(ContractErrorReasons.UnknownSchema, missing.Reason);
        Assert.Contains("wp.snapshots-value", missing.Message);
        Assert.Equal(id, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(1, 4)));
        Assert.DoesNotContain("RegisterSchemaAsync", _registry.Calls);
    }

    [Fact]
    public void An_older_registered_version_of_the_record_is_read_through_schema_resolution()
    {
        var olderId = _registry.Register("wp.events.raw-value", SchemaEvolutionTests.OlderBatchSchema.ToString());
        byte[] bytes = [0x00, 0, 0, 0, (byte)olderId, .. SchemaEvolutionTests.EncodeUnder(SchemaEvolutionTests.OlderBatchSchema, Samples.FullBatch)];
        using var codecs = new AvroCodecs(registry: _registry.Client);

        var decoded = codecs.For<RawEventBatch>().Deserialize(bytes);

        DeepEquality.AssertEqual(Samples.FullBatch with { AgentId = "", DroppedEvents = 0 }, decoded);
    }

    [Fact]
    public void An_id_of_another_record_is_wrong_type_and_an_unregistered_id_unknown()
    {
        var snapshotId = _registry.Register("wp.snapshots-value", AvroContracts.ActivitySnapshot.SchemaJson);
        using var codecs = new AvroCodecs(registry: _registry.Client);
        var codec = codecs.For<RawEventBatch>();

        var wrong = Assert.Throws<ContractException>(() => codec.Deserialize([0x00, 0, 0, 0, (byte)snapshotId, 0x00]));
        var unknown = Assert.Throws<ContractException>(() => codec.Deserialize([0x00, 0, 0, 0x30, 0x39, 0x00]));

        Assert.Equal(ContractErrorReasons.WrongType, wrong.Reason);
        Assert.Contains("io.workloadprofiles.ActivitySnapshot", wrong.Message);
        Assert.Equal(ContractErrorReasons.UnknownSchema, unknown.Reason);
        Assert.Equal(12345, unknown.SchemaId);
        Assert.Contains("12345", unknown.Message);
    }

    [Fact]
    public void A_registry_outage_is_reported_and_not_remembered()
    {
        using var codecs = new AvroCodecs(registry: _registry.Client);
        var codec = codecs.For<Suppression>();
        _registry.Outage = new HttpRequestException("Connection refused (localhost:8081)");

        var error = Assert.Throws<ContractException>(() => codec.Serialize(Samples.FullSuppression));
        _registry.Outage = null;
        var bytes = codec.Serialize(Samples.FullSuppression);

        Assert.Equal(ContractErrorReasons.SchemaRegistry, error.Reason);
        Assert.Contains("Connection refused", error.Message);
        DeepEquality.AssertEqual(Samples.FullSuppression, codec.Deserialize(bytes));
    }

    [Fact]
    public void Both_framings_are_readable_whichever_one_is_written()
    {
        using var withRegistry = new AvroCodecs(registry: _registry.Client);
        var singleObject = AvroCodecs.Default.For<ContainerInfo>().Serialize(Samples.FullContainerInfo);
        var confluent = withRegistry.For<ContainerInfo>().Serialize(Samples.FullContainerInfo);

        DeepEquality.AssertEqual(Samples.FullContainerInfo, withRegistry.For<ContainerInfo>().Deserialize(singleObject));
        var error = Assert.Throws<ContractException>(() => AvroCodecs.Default.For<ContainerInfo>().Deserialize(confluent));
        Assert.Equal(ContractErrorReasons.UnknownSchema, error.Reason);
        Assert.Contains("no schema registry is configured", error.Message);
    }
}
