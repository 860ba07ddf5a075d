using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace WorkloadProfiles.Contracts.Tests;

/// <summary>Arbitrary raw event batches: any valid Unicode (astral planes, NUL, \xNN escapes), extreme numbers, null vs empty.</summary>
public static class ContractArbitraries
{
    private static readonly Gen<string> Text =
        Gen.Frequency(
            (3, Gen.Elements("", "/usr/bin/python3", @"/tmp/\xff\xfe", "日本語", "😀", "\0", "sh")),
            (2, Gen.Choose(0, 0x10FFFF).Where(cp => cp is < 0xD800 or > 0xDFFF).Select(char.ConvertFromUtf32).ArrayOf().Select(string.Concat)));

    private static readonly Gen<int> AnyInt = Gen.Frequency(
        (2, Gen.Elements(0, 1, -1, int.MinValue, int.MaxValue)), (3, Gen.Choose(int.MinValue, int.MaxValue)));

    private static readonly Gen<long> AnyLong = Gen.Frequency(
        (1, Gen.Elements(0L, -1L, long.MinValue, long.MaxValue)),
        (3, Gen.Zip(AnyInt, AnyInt, (high, low) => ((long)high << 32) | (uint)low)));

    private static readonly Gen<string?> OptionalText = Gen.Frequency((1, Gen.Constant<string?>(null)), (3, Text.Select(s => (string?)s)));

    private static readonly Gen<RawEvent> Event =
        from kind in Gen.Elements(Enum.GetValues<EventKind>())
        from timestamp in AnyLong
        from ids in Gen.Zip(AnyInt, AnyInt)
        from ppid in AnyInt
        from users in Gen.Zip(AnyInt, AnyInt)
        from comm in Text
        from executable in OptionalText
        from args in Gen.Frequency((1, Gen.Constant<string[]?>(null)), (3, Text.ArrayOf().Select(a => (string[]?)a)))
        from child in Gen.Zip(AnyInt, AnyInt)
        from file in Gen.Zip(OptionalText, Gen.Elements(0, 0x241, -1))
        from dns in Gen.Zip(OptionalText, Gen.Elements(0, 1, 28, 65535))
        from transport in Gen.Elements(Enum.GetValues<NetworkTransport>())
        from destination in Gen.Zip(OptionalText, Gen.Elements(0, 53, 443, 65535))
        select new RawEvent
        {
            Kind = kind,
            TimestampUs = timestamp,
            Pid = ids.Item1,
            Tid = ids.Item2,
            Ppid = ppid,
            Uid = unchecked((uint)users.Item1),
            Gid = unchecked((uint)users.Item2),
            Comm = comm,
            ExecutablePath = executable,
            Args = args,
            ChildPid = child.Item1,
            ExitCode = child.Item2,
            FilePath = file.Item1,
            FileFlags = file.Item2,
            DnsQuestionName = dns.Item1,
            DnsQuestionType = dns.Item2,
            Transport = transport,
            DestinationAddress = destination.Item1,
            DestinationPort = destination.Item2,
        };

    public static Arbitrary<RawEventBatch> Batches() =>
        (from id in Text
         from image in Gen.Zip(OptionalText, OptionalText)
         from host in Text
         from agent in Text
         from numbers in Gen.Zip(AnyLong, AnyLong)
         from events in Event.ListOf()
         select new RawEventBatch
         {
             Container = new ContainerRef(id, image.Item1, image.Item2),
             HostName = host,
             AgentId = agent,
             Sequence = numbers.Item1,
             DroppedEvents = numbers.Item2,
             Events = [.. events],
         }).ToArbitrary();
}

public class RawEventBatchProperties
{
    private static readonly AvroCodec<RawEventBatch> KnowsOlderSchema =
        new(AvroContracts.RawEventBatch.WithHistory(SchemaEvolutionTests.OlderBatchSchema), Topics.EventsRaw);

    [Property(Arbitrary = [typeof(ContractArbitraries)], MaxTest = 300)]
    public void Any_batch_round_trips_exactly(RawEventBatch batch)
    {
        var codec = AvroCodecs.Default.For<RawEventBatch>();

        DeepEquality.AssertEqual(batch, codec.Deserialize(codec.Serialize(batch)));
    }

    [Property(Arbitrary = [typeof(ContractArbitraries)], MaxTest = 100)]
    public void Any_batch_is_what_apache_avro_reads_under_the_avsc(RawEventBatch batch)
    {
        // Without logical types: Apache.Avro would turn timestamp-micros into DateTime, which cannot hold every long.
        var schema = SchemaResolution.WithoutLogicalTypes(AvroContracts.RawEventBatch.Schema);
        var body = AvroContracts.RawEventBatch.EncodeBody(batch);
        using var input = new MemoryStream(body);
        var datum = new Avro.Generic.GenericDatumReader<Avro.Generic.GenericRecord>(schema, schema)
            .Read(null!, new Avro.IO.BinaryDecoder(input));

        Assert.Equal(body.Length, input.Position);
        Assert.Equal(batch.Events.Count, ((Array)datum["events"]).Length);
        Assert.Equal(batch.Container.Id, ((Avro.Generic.GenericRecord)datum["container"])["id"]);
    }

    [Property(Arbitrary = [typeof(ContractArbitraries)], MaxTest = 100)]
    public void Any_batch_from_an_older_writer_resolves_to_the_defaults_of_the_new_fields(RawEventBatch batch)
    {
        var older = SchemaEvolutionTests.OlderBatchSchema;
        var header = new byte[10];
        header[0] = 0xC3;
        header[1] = 0x01;
        BitConverter.TryWriteBytes(header.AsSpan(2), Avro.SchemaNormalization.ParsingFingerprint64(older));

        var decoded = KnowsOlderSchema.Deserialize([.. header, .. SchemaEvolutionTests.EncodeUnder(older, batch)]);

        DeepEquality.AssertEqual(batch with { AgentId = "", DroppedEvents = 0 }, decoded);
    }
}
