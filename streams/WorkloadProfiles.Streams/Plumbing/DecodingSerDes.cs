using Confluent.Kafka;
using Streamiz.Kafka.Net.SerDes;
using WorkloadProfiles.Contracts;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// Source serde that never throws: a value the contract codec rejects becomes a <see cref="Decoded{T}"/> failure with the
/// codec's reason, so the processor can dead-letter it and continue.
/// </summary>
public sealed class DecodingSerDes<T>(IAvroCodec<T> codec) : AbstractSerDes<Decoded<T>> where T : class
{
    // Decoded on first read (see Decoded<T>): Streamiz calls this twice per record and reads the value once.
    public override Decoded<T> Deserialize(byte[] data, SerializationContext context) =>
        data is null ? Decoded.Tombstone<T>() : Decoded.Lazy(codec, data);

    public override byte[] Serialize(Decoded<T> data, SerializationContext context) =>
        data?.Raw ?? (data?.Value is null ? null! : codec.Serialize(data.Value));
}

/// <summary>
/// Key serde for sources: a missing key becomes the empty string, because Streamiz silently skips null-keyed records in
/// stateful processors and nothing may be dropped silently; the processors key by the value's own identity anyway.
/// </summary>
public sealed class SourceKeySerDes : AbstractSerDes<string>
{
    public override string Deserialize(byte[] data, SerializationContext context) =>
        data is null ? "" : System.Text.Encoding.UTF8.GetString(data);

    public override byte[] Serialize(string data, SerializationContext context) =>
        data is null ? null! : System.Text.Encoding.UTF8.GetBytes(data);
}

/// <summary>Sink value serde for <see cref="Outgoing"/>: the processor already encoded the value.</summary>
public sealed class OutgoingSerDes : AbstractSerDes<Outgoing>
{
    public override Outgoing Deserialize(byte[] data, SerializationContext context) =>
        throw new NotSupportedException("Outgoing records are only written.");

    public override byte[] Serialize(Outgoing data, SerializationContext context) => data.Value!;
}
