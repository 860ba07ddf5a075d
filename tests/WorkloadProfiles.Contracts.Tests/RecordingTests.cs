using Avro.File;
using Avro.Generic;
using Avro.IO;
using WorkloadProfiles.Contracts.Recordings;

namespace WorkloadProfiles.Contracts.Tests;

public class RecordingTests
{
    private static readonly RawEventBatch[] Batches =
        [.. Enumerable.Range(0, 300).Select(i => Samples.FullBatch with { Sequence = i, Events = [.. Samples.EventsOfEveryKind().Take(1 + i % 9)] })];

    [Theory]
    [InlineData(RecordingCompression.None)]
    [InlineData(RecordingCompression.Deflate)]
    public void A_recording_streams_back_every_batch_in_order(RecordingCompression compression)
    {
        var file = Record(Batches, compression, blockBytes: 4096);

        using var reader = new RecordingReader(new MemoryStream(file));
        var read = reader.ReadAll().ToList();

        DeepEquality.AssertEqual(Batches, read);
        Assert.Equal(AvroContracts.RawEventBatch.Fingerprint, unchecked((ulong)Avro.SchemaNormalization.ParsingFingerprint64(reader.WriterSchema)));
    }

    [Fact]
    public void Deflate_makes_recordings_smaller()
    {
        Assert.True(Record(Batches, RecordingCompression.Deflate).Length * 3 < Record(Batches, RecordingCompression.None).Length);
    }

    [Fact]
    public void Apache_avro_reads_a_recording_with_its_embedded_schema()
    {
        var file = Record(Batches, RecordingCompression.Deflate, blockBytes: 4096);

        using var reader = DataFileReader<GenericRecord>.OpenReader(new MemoryStream(file));
        var records = reader.NextEntries.ToList();

        Assert.Equal(Batches.Length, records.Count);
        Assert.Equal(299L, records[^1]["sequence"]);
        Assert.Equal("node-1.example", ((GenericRecord)records[0]["host"])["name"]);
        Assert.Equal("deflate", reader.GetMetaString("avro.codec"));
    }

    [Fact]
    public void A_file_written_by_apache_avro_under_an_older_schema_is_read_through_resolution()
    {
        var older = SchemaEvolutionTests.OlderBatchSchema;
        var stream = new MemoryStream();
        using (var writer = DataFileWriter<object>.OpenWriter(new GenericDatumWriter<object>(older), stream, Codec.CreateCodec(Codec.Type.Deflate), leaveOpen: true))
        {
            var datumReader = new GenericDatumReader<object>(older, older);
            foreach (var batch in Batches[..60])
            {
                var body = SchemaEvolutionTests.EncodeUnder(older, batch);
                writer.Append(datumReader.Read(null!, new BinaryDecoder(new MemoryStream(body))));
            }
        }

        using var reader = new RecordingReader(new MemoryStream(stream.ToArray()));

        DeepEquality.AssertEqual(Batches[..60].Select(b => b with { AgentId = "", DroppedEvents = 0 }), reader.ReadAll().ToList());
    }

    [Fact]
    public void A_truncated_recording_yields_its_complete_blocks_then_malformed_avro()
    {
        var file = Record(Batches, RecordingCompression.Deflate, blockBytes: 4096);
        using var reader = new RecordingReader(new MemoryStream(file[..^10]));

        var read = new List<RawEventBatch>();
        var error = Assert.Throws<ContractException>(() =>
        {
            while (reader.TryRead(out var batch)) read.Add(batch);
        });

        Assert.Equal(ContractErrorReasons.MalformedAvro, error.Reason);
        Assert.Contains("truncated", error.Message);
        Assert.InRange(read.Count, 1, Batches.Length - 1);
        DeepEquality.AssertEqual(Batches.Take(read.Count), read);
    }

    [Fact]
    public void A_spliced_block_is_detected_by_its_sync_marker()
    {
        var first = Record(Batches[..10], RecordingCompression.None);
        var second = Record(Batches[..10], RecordingCompression.None);
        var headerLength = Record([], RecordingCompression.None).Length;
        // Each file has its own random sync marker: the second file's blocks appended to the first do not belong.
        byte[] spliced = [.. first, .. second[headerLength..]];

        using var reader = new RecordingReader(new MemoryStream(spliced));
        var error = Assert.Throws<ContractException>(() => reader.ReadAll().ToList());

        Assert.Equal(ContractErrorReasons.MalformedAvro, error.Reason);
        Assert.Contains("sync marker", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_recording_is_rejected()
    {
        var error = Assert.Throws<ContractException>(() => new RecordingReader(new MemoryStream("{\"not\":\"avro\"}"u8.ToArray())));

        Assert.Equal(ContractErrorReasons.MalformedAvro, error.Reason);
        Assert.Contains("magic", error.Message);
    }

    [Fact]
    public void A_batch_that_cannot_be_encoded_leaves_the_recording_intact()
    {
        var stream = new MemoryStream();
        using (var writer = new RecordingWriter(stream, leaveOpen: true))
        {
            writer.Write(Batches[0]);
            Assert.Throws<ContractException>(() => writer.Write(Batches[1] with { Events = [Samples.MinimalEvent with { Comm = null! }] }));
            writer.Write(Batches[2]);
            Assert.Equal(2, writer.BatchesWritten);
        }

        using var reader = new RecordingReader(new MemoryStream(stream.ToArray()));

        DeepEquality.AssertEqual(new[] { Batches[0], Batches[2] }, reader.ReadAll().ToList());
    }

    private static byte[] Record(IEnumerable<RawEventBatch> batches, RecordingCompression compression, int blockBytes = RecordingWriter.DefaultBlockBytes)
    {
        var stream = new MemoryStream();
        using (var writer = new RecordingWriter(stream, compression, leaveOpen: true, blockBytes))
        {
            foreach (var batch in batches) writer.Write(batch);
        }
        return stream.ToArray();
    }
}
