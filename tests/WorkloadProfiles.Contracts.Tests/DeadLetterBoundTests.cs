using System.Security.Cryptography;
using Avro;
using Avro.Generic;
using Avro.IO;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace WorkloadProfiles.Contracts.Tests;

/// <summary>A dead letter never exceeds its bound, whatever the record was, and still says what the record was.</summary>
public class DeadLetterBoundTests
{
    private static readonly IAvroCodec<DeadLetter> Codec = AvroCodecs.Default.For<DeadLetter>();

    private static readonly Gen<byte[]?> Bytes = Gen.Frequency(
        (1, Gen.Constant<byte[]?>(null)),
        (3, Gen.Choose(0, 300_000).Select(n => (byte[]?)RandomNumberGenerator.GetBytes(n))));

    // Any UTF-16, lone surrogates included (a JSON "\ud800" escape makes one), short or far beyond every string limit.
    private static readonly Gen<string> Text = Gen.Frequency(
        (2, Gen.Elements("", "malformed-avro", "\ud800", "x\udc00y", "😀")),
        (1, Gen.Choose(0, 20_000).Select(n => new string('é', n))),
        (2, Gen.Choose(0, 0xFFFF).Select(c => (char)c).ArrayOf().Select(a => new string(a))));

    [Property(MaxTest = 60)]
    public Property Any_record_becomes_a_dead_letter_within_the_bound_that_encodes() =>
        Prop.ForAll(Gen.Zip(Bytes, Bytes).ToArbitrary(), Gen.Zip(Text, Gen.Zip(Text, Text)).ToArbitrary(),
            Gen.Elements(DeadLetterBound.MinMaxBytes, 16_384, DeadLetterBound.DefaultMaxBytes).ToArbitrary(),
            (record, strings, maxBytes) =>
            {
                var (key, value) = record;
                var (reason, (detail, topic)) = strings;
                var letter = DeadLetter.Of(DeadLetterBound.Of(maxBytes), topic, 3, 42, key, value, reason, detail, "snapshot-job", 1);

                var encoded = Codec.Serialize(letter);

                Assert.True(encoded.Length <= maxBytes, $"{encoded.Length} bytes > bound {maxBytes}");
                Assert.Equal(value?.Length ?? 0, letter.ValueSize);
                Assert.Equal(key?.Length ?? 0, letter.KeySize);
                Assert.Equal(value is null ? "" : Convert.ToHexStringLower(SHA256.HashData(value)), letter.ValueSha256);
                if (value is not null) Assert.Equal(value[..letter.Value!.Length], letter.Value);
                Assert.NotEmpty(letter.Reason);
            });

    [Fact]
    public void A_record_that_fits_is_kept_whole()
    {
        byte[] value = [0xC3, 0x01, 1, 2, 3];
        var letter = DeadLetter.Of(DeadLetterBound.Default, Topics.EventsRaw, 0, 1, [65], value, "malformed-avro", "bad", "sink", 7);

        Assert.Equal(value, letter.Value);
        Assert.False(letter.ValueTruncated);
        DeepEquality.AssertEqual(letter, Codec.Deserialize(Codec.Serialize(letter)));
    }

    [Fact]
    public void A_record_larger_than_the_bound_keeps_its_first_bytes_size_and_hash()
    {
        var value = RandomNumberGenerator.GetBytes(3_000_000);
        var letter = DeadLetter.Of(DeadLetterBound.Default, Topics.EventsRaw, 0, 1, null, value, "oversized", "too big", "sink", 7);

        Assert.True(letter.ValueTruncated);
        Assert.Equal(3_000_000, letter.ValueSize);
        Assert.InRange(letter.Value!.Length, DeadLetterBound.DefaultMaxBytes - 4_096, DeadLetterBound.DefaultMaxBytes);
        Assert.True(Codec.Serialize(letter).Length <= DeadLetterBound.DefaultMaxBytes);
    }

    [Fact]
    public void A_bound_too_small_for_the_fields_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DeadLetterBound.Of(DeadLetterBound.MinMaxBytes - 1));

    [Fact]
    public void A_dead_letter_written_before_size_and_hash_existed_reads_with_unknown_size()
    {
        var older = (RecordSchema)Schema.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "schemas", "history", "DeadLetter.v1.avsc")));
        var record = new GenericRecord(older);
        record.Add("source_topic", "wp.snapshots");
        record.Add("partition", 2);
        record.Add("offset", 9L);
        record.Add("key", null);
        record.Add("value", new byte[] { 1, 2 });
        record.Add("reason", "malformed-avro");
        record.Add("detail", "");
        record.Add("consumer", "clickhouse-sink");
        record.Add("timestamp", DateTime.UnixEpoch.AddTicks(50));
        using var body = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(older).Write(record, new BinaryEncoder(body));
        var header = new byte[10];
        header[0] = 0xC3;
        header[1] = 0x01;
        BitConverter.TryWriteBytes(header.AsSpan(2), SchemaNormalization.ParsingFingerprint64(older));

        var letter = Codec.Deserialize([.. header, .. body.ToArray()]);

        Assert.Equal(new byte[] { 1, 2 }, letter.Value);
        Assert.Equal(-1, letter.ValueSize);
        Assert.Equal(-1, letter.KeySize);
        Assert.Equal("", letter.ValueSha256);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("repository root not found");
    }
}
