using System.Buffers.Binary;

namespace WorkloadProfiles.Contracts.Tests;

public class CodecErrorTests
{
    private readonly IAvroCodec<RawEventBatch> _codec = AvroCodecs.Default.For<RawEventBatch>();

    [Fact]
    public void Unknown_fingerprint_is_rejected_naming_the_fingerprint_and_the_expected_schema()
    {
        var bytes = _codec.Serialize(Samples.FullBatch);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(2), 0x0123_4567_89AB_CDEF);

        var error = Assert.Throws<ContractException>(() => _codec.Deserialize(bytes));

        Assert.Equal(ContractErrorReasons.UnknownSchema, error.Reason);
        Assert.Equal(0x0123_4567_89AB_CDEFUL, error.Fingerprint);
        Assert.Equal("io.workloadprofiles.RawEventBatch", error.ExpectedSchema);
        Assert.Contains("0x0123456789abcdef", error.Message);
        Assert.Contains("io.workloadprofiles.RawEventBatch", error.Message);
        Assert.Contains($"0x{AvroContracts.RawEventBatch.Fingerprint:x16}", error.Message);
    }

    [Fact]
    public void Record_of_another_contract_is_wrong_type()
    {
        var snapshot = AvroCodecs.Default.For<ActivitySnapshot>().Serialize(Samples.FullSnapshot);

        var error = Assert.Throws<ContractException>(() => _codec.Deserialize(snapshot));

        Assert.Equal(ContractErrorReasons.WrongType, error.Reason);
        Assert.Contains("io.workloadprofiles.ActivitySnapshot", error.Message);
        Assert.Contains(Topics.EventsRaw, error.Message);
    }

    [Fact]
    public void Every_truncation_is_malformed_avro()
    {
        var bytes = _codec.Serialize(Samples.FullBatch);
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<ContractException>(() => _codec.Deserialize(bytes.AsSpan(0, length)));
            Assert.True(error.Reason == ContractErrorReasons.MalformedAvro, $"prefix of {length} bytes: {error.Reason}: {error.Message}");
        }
    }

    [Fact]
    public void Trailing_bytes_are_malformed_avro()
    {
        byte[] bytes = [.. _codec.Serialize(Samples.MinimalBatch), 0x00];

        var error = Assert.Throws<ContractException>(() => _codec.Deserialize(bytes));

        Assert.Equal(ContractErrorReasons.MalformedAvro, error.Reason);
        Assert.Contains("trailing", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22 }, "framing byte 0x7b")] // JSON
    [InlineData(new byte[] { 0xC3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0 }, "single-object header")]
    [InlineData(new byte[] { 0x00, 0x00 }, "Confluent header")]
    public void Bad_framing_is_malformed_avro_with_a_reason(byte[] bytes, string expected)
    {
        var error = Assert.Throws<ContractException>(() => _codec.Deserialize(bytes));

        Assert.Equal(ContractErrorReasons.MalformedAvro, error.Reason);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Hostile_lengths_fail_fast_instead_of_allocating()
    {
        var header = _codec.Serialize(Samples.MinimalBatch)[..10];
        // container.id claims a 2^62-byte string; then, after six empty/zero fields and the profiling flag, an events
        // array of 2^62 items.
        byte[] hugeString = [.. header, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
        byte[] hugeArray = [.. header, 0x02, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];

        Assert.Equal(ContractErrorReasons.MalformedAvro, Assert.Throws<ContractException>(() => _codec.Deserialize(hugeString)).Reason);
        var error = Assert.Throws<ContractException>(() => _codec.Deserialize(hugeArray));
        Assert.Equal(ContractErrorReasons.MalformedAvro, error.Reason);
        Assert.Contains("array block", error.Message);
    }

    [Fact]
    public void Random_garbage_after_a_valid_header_only_ever_raises_contract_errors()
    {
        var header = _codec.Serialize(Samples.MinimalBatch)[..10];
        var random = new Random(1234);
        for (var i = 0; i < 5000; i++)
        {
            var body = new byte[random.Next(0, 200)];
            random.NextBytes(body);
            try
            {
                _codec.Deserialize([.. header, .. body]);
            }
            catch (ContractException ex)
            {
                Assert.Contains(ex.Reason, new[] { ContractErrorReasons.MalformedAvro, ContractErrorReasons.UnsupportedValue });
            }
        }
    }

    [Fact]
    public void Oversized_records_are_refused_on_read_and_on_write()
    {
        var small = new AvroCodec<RawEventBatch>(AvroContracts.RawEventBatch, Topics.EventsRaw, new AvroCodecOptions { MaxRecordBytes = 1024 });
        var big = Samples.MinimalBatch with { Events = [.. Enumerable.Repeat(Samples.FullEvent, 10)] };
        var bigBytes = _codec.Serialize(big);
        Assert.True(bigBytes.Length > 1024);

        var onRead = Assert.Throws<ContractException>(() => small.Deserialize(bigBytes));
        var onWrite = Assert.Throws<ContractException>(() => small.Serialize(big));

        Assert.Equal(ContractErrorReasons.Oversized, onRead.Reason);
        Assert.Equal(ContractErrorReasons.Oversized, onWrite.Reason);
        Assert.Contains("1024-byte limit", onRead.Message);
        Assert.Equal(Samples.MinimalBatch.HostName, small.Deserialize(small.Serialize(Samples.MinimalBatch)).HostName);
    }

    [Fact]
    public void Values_that_cannot_be_encoded_are_invalid_value()
    {
        RawEventBatch[] invalid =
        [
            Samples.MinimalBatch with { Container = null! },
            Samples.MinimalBatch with { Events = [Samples.MinimalEvent with { Kind = (EventKind)42 }] },
            Samples.MinimalBatch with { Events = [Samples.MinimalEvent with { Comm = "lone \uD800 surrogate" }] },
            Samples.MinimalBatch with { Events = [Samples.MinimalEvent with { Args = ["ok", null!] }] },
        ];

        foreach (var batch in invalid)
        {
            Assert.Equal(ContractErrorReasons.InvalidValue, Assert.Throws<ContractException>(() => _codec.Serialize(batch)).Reason);
        }
    }

    [Fact]
    public void The_evolution_default_symbol_is_reported_as_unsupported_not_guessed()
    {
        var codec = new AvroCodec<RawEvent>(AvroContracts.RawEvent, "test");
        var bytes = codec.Serialize(Samples.MinimalEvent);
        bytes[10] = 7 << 1; // EventKind symbol #7 = UNKNOWN, what a newer writer's new kind resolves to

        var error = Assert.Throws<ContractException>(() => codec.Deserialize(bytes));

        Assert.Equal(ContractErrorReasons.UnsupportedValue, error.Reason);
        Assert.Contains("EventKind", error.Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_malformed_avro()
    {
        var bytes = _codec.Serialize(Samples.MinimalBatch with { Container = new ContainerRef("ab", null, null) });
        bytes[11] = 0xFF; // first byte of container.id

        Assert.Equal(ContractErrorReasons.MalformedAvro, Assert.Throws<ContractException>(() => _codec.Deserialize(bytes)).Reason);
    }
}
