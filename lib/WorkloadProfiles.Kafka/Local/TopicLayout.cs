using WorkloadProfiles.Contracts;

namespace WorkloadProfiles.Kafka.Local;

/// <summary>A topic to create on the local broker: its name and partition count.</summary>
public sealed record TopicLayout(string Name, int Partitions)
{
    /// <summary>
    /// The pipeline's topics as <see cref="Topics.All"/> lays them out (the single source of names and counts), and the
    /// JSON copy of the enriched signals, partitioned like them.
    /// </summary>
    public static IReadOnlyList<TopicLayout> Pipeline { get; } =
    [
        .. Topics.All.Select(t => new TopicLayout(t.Name, t.Partitions)),
        new(Topics.SignalsEnrichedJson, Topics.Get(Topics.SignalsEnriched).Partitions),
    ];
}
