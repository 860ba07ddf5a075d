using System.Text.Json.Nodes;
using Avro;
using Avro.Generic;
using Avro.IO;

namespace WorkloadProfiles.Contracts;

/// <summary>
/// Reads a body written under an older (or otherwise compatible) writer schema: Apache.Avro's generic reader applies
/// Avro schema resolution (defaults for added fields, skipping removed ones, enum defaults), and the result is
/// re-encoded under the current schema for the fast decoder. Rare (one schema change at a time), so not on the hot path.
/// Logical types are stripped first: they do not change the encoding, and Apache.Avro would materialize
/// timestamp-micros as DateTime, which cannot hold every long (and costs time).
/// </summary>
internal sealed class SchemaResolution
{
    private readonly GenericDatumReader<object> _reader;
    private readonly GenericDatumWriter<object> _writer;

    public SchemaResolution(Schema writerSchema, Schema readerSchema)
    {
        WriterSchema = writerSchema;
        var plainReader = WithoutLogicalTypes(readerSchema);
        _reader = new GenericDatumReader<object>(WithoutLogicalTypes(writerSchema), plainReader);
        _writer = new GenericDatumWriter<object>(plainReader);
    }

    public Schema WriterSchema { get; }

    /// <summary>The body re-encoded under the reader schema.</summary>
    /// <exception cref="ContractException"><c>malformed-avro</c> when the body does not decode under the writer schema.</exception>
    public byte[] Rewrite(ReadOnlySpan<byte> body, string contractName)
    {
        using var input = new MemoryStream(body.ToArray(), writable: false);
        var datum = Read(new BinaryDecoder(input), contractName);
        if (input.Position != input.Length)
        {
            throw new ContractException(ContractErrorReasons.MalformedAvro,
                $"Malformed {contractName} body (writer schema {WriterSchema.Fullname}): {input.Length - input.Position} trailing bytes")
            { ExpectedSchema = contractName };
        }
        return Write(datum);
    }

    /// <summary>Reads one datum under the writer schema (resolved to the reader schema) from a decoder positioned on it.</summary>
    public object Read(Decoder decoder, string contractName)
    {
        try
        {
            return _reader.Read(null!, decoder);
        }
        catch (Exception ex) when (ex is AvroException or EndOfStreamException or IOException or ArgumentException
                                       or InvalidCastException or OverflowException or IndexOutOfRangeException)
        {
            throw new ContractException(ContractErrorReasons.MalformedAvro,
                $"Malformed {contractName} body (writer schema {WriterSchema.Fullname}): {ex.Message}", ex) { ExpectedSchema = contractName };
        }
    }

    public byte[] Write(object datum)
    {
        using var output = new MemoryStream();
        _writer.Write(datum, new BinaryEncoder(output));
        return output.ToArray();
    }

    /// <summary>The same schema with every <c>logicalType</c> attribute removed (the binary encoding is identical).</summary>
    internal static Schema WithoutLogicalTypes(Schema schema)
    {
        var json = JsonNode.Parse(schema.ToString())!;
        Strip(json);
        return Schema.Parse(json.ToJsonString());

        static void Strip(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    obj.Remove("logicalType");
                    foreach (var (_, child) in obj) Strip(child);
                    break;
                case JsonArray array:
                    foreach (var child in array) Strip(child);
                    break;
            }
        }
    }
}
