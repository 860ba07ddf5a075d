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
