using WorkloadProfiles.Streams.Snapshots;

namespace WorkloadProfiles.Streams.Tests.Snapshots;

/// <summary>A journal entry gives back exactly the stream time and bytes it was written with, whatever their size.</summary>
public sealed class SnapshotStateKeysTests
{
    [Theory]
    [InlineData(0, 0L)]
    [InlineData(1, -1L)]
    [InlineData(7_000, 1_704_067_200_000_000L)]
    [InlineData(1 << 20, long.MaxValue)]
    [InlineData(33, long.MinValue)]
    public void A_journal_entry_decodes_to_the_stream_time_and_bytes_it_was_encoded_with(int length, long streamTimeUs)
    {
        var raw = new byte[length];
        new Random(length).NextBytes(raw);

        var (decodedTime, decodedRaw) = SnapshotStateKeys.DecodeJournal(SnapshotStateKeys.EncodeJournal(streamTimeUs, raw));

        Assert.Equal(streamTimeUs, decodedTime);
        Assert.Equal(raw, decodedRaw);
    }

    [Fact]
    public void An_entry_written_before_the_stream_time_was_kept_decodes_as_its_bytes()
    {
        byte[] legacy = [0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9];

        var (decodedTime, decodedRaw) = SnapshotStateKeys.DecodeJournal(legacy);

        Assert.Null(decodedTime);
        Assert.Equal(legacy, decodedRaw);
    }
}
