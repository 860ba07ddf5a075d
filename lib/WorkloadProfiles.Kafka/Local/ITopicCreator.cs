namespace WorkloadProfiles.Kafka.Local;

/// <summary>
/// Creates topics on the local broker. The mock cluster does not implement the CreateTopics request, so everything that
/// would send one (Streamiz' internal-topic manager, tooling) goes through this instead.
/// </summary>
public interface ITopicCreator
{
    /// <summary>Creates <paramref name="name"/> with <paramref name="partitions"/> partitions.</summary>
    /// <returns>True when created, false when a topic of that name already existed (its layout is left as is).</returns>
    bool CreateTopic(string name, int partitions);
}
