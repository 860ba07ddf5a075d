using System.Text.Json.Nodes;
using Avro;

namespace WorkloadProfiles.Contracts.Tests;

/// <summary>An older writer schema (RawEventBatch before agent_id and dropped_events existed) stays readable.</summary>
public class SchemaEvolutionTests
{
    internal static readonly RecordSchema OlderBatchSchema = WithoutFields(AvroContracts.RawEventBatch.SchemaJson, "agent_id", "dropped_events");

    [Fact]
    public void A_known_older_writer_schema_is_resolved_with_defaults()
    {
        var contract = AvroContracts.RawEventBatch.WithHistory(OlderBatchSchema);
        var codec = new AvroCodec<RawEventBatch>(contract, Topics.EventsRaw);
        var bytes = SingleObject(OlderBatchSchema, EncodeUnder(OlderBatchSchema, Samples.FullBatch));

        var decoded = codec.Deserialize(bytes);

        DeepEquality.AssertEqual(Samples.FullBatch with { AgentId = "", DroppedEvents = 0 }, decoded);
    }

    [Fact]
    public void A_batch_written_under_schemas_history_v1_reads_as_a_profiling_batch_with_unknown_start_and_canonical_paths()
    {
        var v1 = Assert.Single(AvroContracts.RawEventBatch.History);
        Assert.DoesNotContain(v1.Fields, f => f.Name == "profiling");
        var codec = AvroCodecs.Default.For<RawEventBatch>();
        var written = Samples.FullBatch;

        var decoded = codec.Deserialize(SingleObject(v1, new SchemaResolution(AvroContracts.RawEventBatch.Schema, v1)
            .Rewrite(AvroContracts.RawEventBatch.EncodeBody(written), "test")));

        // Fields v1 did not have take their defaults: a v1 agent only published profiled containers.
        var expected = written with
        {
            Container = written.Container with { Kubernetes = null },
            Profiling = true,
            Events = [.. written.Events.Select(e => e with
            {
                ProcessStartUs = 0,
                WorkingDirectory = null,
                FileResolution = PathResolution.OpenedFile,
                Rescan = false,
            })],
        };
        DeepEquality.AssertEqual(expected, decoded);
    }

    [Fact]
    public void A_signal_written_under_schemas_history_v1_has_no_acting_process()
    {
        var v1 = Assert.Single(AvroContracts.SecuritySignal.History);
        var written = Samples.FullSignal;

        var decoded = AvroCodecs.Default.For<SecuritySignal>().Deserialize(SingleObject(v1,
            new SchemaResolution(AvroContracts.SecuritySignal.Schema, v1).Rewrite(AvroContracts.SecuritySignal.EncodeBody(written), "test")));

        Assert.Null(decoded.Process);
        Assert.All(decoded.Behaviour.Ancestry, p => Assert.Equal((0, 0L), (p.Pid, p.StartUs)));
        Assert.Equal(written.Behaviour.Ancestry.Select(p => p.ExecutablePath), decoded.Behaviour.Ancestry.Select(p => p.ExecutablePath));
    }

    [Fact]
    public void Records_written_before_the_orchestrator_field_read_with_no_kubernetes_metadata()
    {
        Assert.Null(Decode(AvroContracts.ContainerInfo, Samples.FullContainerInfo).Container.Kubernetes);
        Assert.Null(Decode(AvroContracts.ActivitySnapshot, Samples.FullSnapshot).Container.Kubernetes);
        Assert.Null(Decode(AvroContracts.SecuritySignal, Samples.FullSignal).Container.Kubernetes);
        Assert.Null(Decode(AvroContracts.RawEventBatch, Samples.FullBatch).Container.Kubernetes);
        // and the rest of the record is intact
        Assert.Equal(Samples.FullContainerInfo.Container with { Kubernetes = null }, Decode(AvroContracts.ContainerInfo, Samples.FullContainerInfo).Container);
        Assert.NotNull(Samples.FullContainerInfo.Container.Kubernetes);

        // Written under the current schema, with the orchestrator: ContainerInfo, snapshot and signal keep it.
        DeepEquality.AssertEqual(Samples.Container.Kubernetes, AvroCodecs.Default.For<ContainerInfo>()
            .Deserialize(AvroCodecs.Default.For<ContainerInfo>().Serialize(Samples.FullContainerInfo)).Container.Kubernetes);
    }

    /// <summary>Writes <paramref name="value"/> as its first history version (before this session's fields) and reads it back.</summary>
    private static T Decode<T>(AvroContract<T> contract, T value) where T : class
    {
        var v1 = contract.History[0];
        Assert.DoesNotContain(v1.Fields, f => f.Name == "orchestrator");
        return AvroCodecs.Default.For<T>().Deserialize(SingleObject(v1, new SchemaResolution(contract.Schema, v1).Rewrite(contract.EncodeBody(value), "test")));
    }

    [Fact]
    public void The_same_record_without_the_older_schema_in_history_is_unknown()
    {
        var bytes = SingleObject(OlderBatchSchema, EncodeUnder(OlderBatchSchema, Samples.FullBatch));

        var error = Assert.Throws<ContractException>(() => AvroCodecs.Default.For<RawEventBatch>().Deserialize(bytes));

        Assert.Equal(ContractErrorReasons.UnknownSchema, error.Reason);
        Assert.Contains($"0x{unchecked((ulong)SchemaNormalization.ParsingFingerprint64(OlderBatchSchema)):x16}", error.Message);
    }

    internal static RecordSchema WithoutFields(string json, params string[] fields)
    {
        var root = JsonNode.Parse(json)!.AsObject();
        var list = root["fields"]!.AsArray();
        foreach (var field in list.Where(f => fields.Contains((string?)f!["name"])).ToList()) list.Remove(field);
        return (RecordSchema)Schema.Parse(root.ToJsonString());
    }

    private static readonly SchemaResolution DownToOlder = new(AvroContracts.RawEventBatch.Schema, OlderBatchSchema);

    /// <summary>What an old producer would have written: the value's body resolved down to the older schema.</summary>
    internal static byte[] EncodeUnder(RecordSchema older, RawEventBatch batch)
    {
        Assert.Same(OlderBatchSchema, older);
        return DownToOlder.Rewrite(AvroContracts.RawEventBatch.EncodeBody(batch), "test");
    }

    private static byte[] SingleObject(Schema schema, byte[] body)
    {
        var header = new byte[10];
        header[0] = 0xC3;
        header[1] = 0x01;
        BitConverter.TryWriteBytes(header.AsSpan(2), SchemaNormalization.ParsingFingerprint64(schema));
        return [.. header, .. body];
    }
}
