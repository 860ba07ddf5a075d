using System.Buffers.Binary;
using Avro.Generic;
using Avro.IO;

namespace WorkloadProfiles.Contracts.Tests;

public class RoundTripTests
{
    public static TheoryData<string> Cases => new(Samples.Cases.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_value_round_trips_through_single_object_encoding(string name)
    {
        var (contract, value) = Samples.Cases[name];

        var bytes = Invoke<byte[]>(nameof(Serialize), contract, value);
        var decoded = Invoke<object>(nameof(Deserialize), contract, bytes);

        Assert.Equal([0xC3, 0x01], bytes[..2]);
        Assert.Equal(contract.Fingerprint, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(2, 8)));
        DeepEquality.AssertEqual(value, decoded);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Body_is_exactly_what_apache_avro_reads_and_writes_for_the_avsc(string name)
    {
        var (contract, value) = Samples.Cases[name];
        var body = Invoke<byte[]>(nameof(EncodeBody), contract, value);

        // Apache.Avro, driven only by the .avsc, must consume every byte and write the very same bytes back.
        using var input = new MemoryStream(body);
        var datum = new GenericDatumReader<object>(contract.Schema, contract.Schema).Read(null!, new BinaryDecoder(input));
        Assert.Equal(body.Length, input.Position);

        using var output = new MemoryStream();
        new GenericDatumWriter<object>(contract.Schema).Write(datum, new BinaryEncoder(output));
        Assert.Equal(body, output.ToArray());
    }

    [Fact]
    public void Strings_with_escaped_kernel_bytes_and_astral_unicode_survive_unchanged()
    {
        var batch = Samples.FullBatch;
        var decoded = AvroCodecs.Default.For<RawEventBatch>().Deserialize(AvroCodecs.Default.For<RawEventBatch>().Serialize(batch));

        Assert.Equal(Samples.EscapedPath, decoded.Events[0].ExecutablePath);
        Assert.Equal(Samples.UnicodePath, decoded.Events[0].FilePath);
        Assert.Contains(Samples.UnicodePath, decoded.Events[0].Args!);
    }

    [Fact]
    public void Node_ids_keep_all_64_bits()
    {
        var codec = AvroCodecs.Default.For<ActivitySnapshot>();
        var decoded = codec.Deserialize(codec.Serialize(Samples.FullSnapshot));

        Assert.Equal([1UL, Samples.HighBitNodeId, ulong.MaxValue, 7UL], decoded.Nodes.Select(n => n.Id));
    }

    private static T Invoke<T>(string method, IAvroContract contract, object argument) =>
        (T)typeof(RoundTripTests).GetMethod(method, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(contract.ValueType).Invoke(null, [contract, argument])!;

    private static byte[] Serialize<T>(AvroContract<T> contract, T value) where T : class =>
        new AvroCodec<T>(contract, "test-topic").Serialize(value);

    private static T Deserialize<T>(AvroContract<T> contract, byte[] bytes) where T : class =>
        new AvroCodec<T>(contract, "test-topic").Deserialize(bytes);

    private static byte[] EncodeBody<T>(AvroContract<T> contract, T value) where T : class => contract.EncodeBody(value);
}
