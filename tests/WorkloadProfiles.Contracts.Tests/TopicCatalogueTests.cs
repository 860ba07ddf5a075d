namespace WorkloadProfiles.Contracts.Tests;

public class TopicCatalogueTests
{
    [Fact]
    public void Every_design_topic_has_its_value_contract_and_layout()
    {
        var table = Topics.All.ToDictionary(t => t.Name);

        Assert.Equal(
            ["wp.events.raw", "wp.snapshots", "wp.profiles", "wp.signals", "wp.signals.enriched", "wp.suppressions", "wp.containers", "wp.deadletter"],
            Topics.All.Select(t => t.Name));
        Assert.Equal(typeof(RawEventBatch), table[Topics.EventsRaw].ValueType);
        Assert.Equal(typeof(ActivitySnapshot), table[Topics.Snapshots].ValueType);
        Assert.Equal(typeof(SecurityProfile), table[Topics.Profiles].ValueType);
        Assert.Equal(typeof(SecuritySignal), table[Topics.Signals].ValueType);
        Assert.Equal(typeof(EnrichedSignal), table[Topics.SignalsEnriched].ValueType);
        Assert.Equal(typeof(Suppression), table[Topics.Suppressions].ValueType);
        Assert.Equal(typeof(ContainerInfo), table[Topics.Containers].ValueType);
        Assert.Equal(typeof(DeadLetter), table[Topics.DeadLetter].ValueType);
        Assert.Equal([Topics.Profiles, Topics.Suppressions, Topics.Containers], Topics.All.Where(t => t.Compacted).Select(t => t.Name));
        Assert.Equal(8, table[Topics.EventsRaw].Partitions);
        Assert.All(Topics.All.Skip(1), t => Assert.Equal(4, t.Partitions));
        Assert.Equal("wp.profiles-value", table[Topics.Profiles].ValueSubject);
    }

    [Fact]
    public void The_catalogue_hands_out_one_codec_per_topic()
    {
        using var codecs = new AvroCodecs();

        Assert.Equal(Topics.EventsRaw, codecs.For<RawEventBatch>().Topic);
        Assert.Equal(Topics.SignalsEnriched, codecs.For<EnrichedSignal>().Topic);
        Assert.Same(codecs.For<SecurityProfile>(), codecs.For<SecurityProfile>(Topics.Profiles));
        Assert.Equal("replay.raw", codecs.For<RawEventBatch>("replay.raw").Topic);
        Assert.Throws<ArgumentException>(() => codecs.For<ActivitySnapshot>(Topics.EventsRaw));
        Assert.Throws<ArgumentException>(() => codecs.For<RawEvent>());
    }
}
