using WorkloadProfiles.Contracts;

namespace WorkloadProfiles.Kafka;

/// <summary>
/// The pipeline topics by role, as entries of <see cref="Topics"/> in WorkloadProfiles.Contracts, which is the single
/// source of topic names, partition counts and compaction; nothing here restates them.
/// </summary>
public static class PipelineTopics
{
    public static TopicContract RawEvents { get; } = Topics.Get(Topics.EventsRaw);
    public static TopicContract Snapshots { get; } = Topics.Get(Topics.Snapshots);
    public static TopicContract Profiles { get; } = Topics.Get(Topics.Profiles);
    public static TopicContract Signals { get; } = Topics.Get(Topics.Signals);
    public static TopicContract EnrichedSignals { get; } = Topics.Get(Topics.SignalsEnriched);
    public static TopicContract Suppressions { get; } = Topics.Get(Topics.Suppressions);
    public static TopicContract Containers { get; } = Topics.Get(Topics.Containers);
    public static TopicContract DeadLetter { get; } = Topics.Get(Topics.DeadLetter);

    /// <summary>Every pipeline topic, in data-flow order.</summary>
    public static IReadOnlyList<TopicContract> All => Topics.All;
}
