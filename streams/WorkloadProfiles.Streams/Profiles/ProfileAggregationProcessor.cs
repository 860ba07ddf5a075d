using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Profiles;

/// <summary>
/// The profile job's processor: merges <c>wp.snapshots</c> into one <see cref="ProfileAggregate"/> per image@version and
/// publishes the profile to <c>wp.profiles</c> on every change.
/// </summary>
/// <remarks>
/// Aggregates live in memory; the store (changelog-backed) holds each one's published <see cref="SecurityProfile"/>
/// form, from which <see cref="ProfileAggregate.FromProfile"/> rebuilds them after a restart — including the merged
/// snapshot ids, so a redelivered snapshot is recognised as a duplicate. A wall-clock punctuator applies the time rule,
/// so a profile turns Stable after <see cref="ProfilePolicy.StableAfter"/> even when no snapshot arrives.
/// </remarks>
internal sealed class ProfileAggregationProcessor(ProfileJobOptions options, PipelineCodecs codecs, StreamsMetrics metrics)
    : ITransformer<string, Decoded<ActivitySnapshot>, string, Outgoing>
{
    public const string StoreName = "profile-aggregates";
    const string Job = "profiles";

    readonly DeadLetterSink _deadLetters = new("profile-job", codecs.DeadLetters, metrics);
    readonly Dictionary<string, ProfileAggregate> _aggregates = new(StringComparer.Ordinal);
    ProcessorContext<string, Outgoing> _context = null!;
    IKeyValueStore<string, byte[]> _store = null!;
    bool _restored;

    public static IStoreBuilder StoreBuilder() =>
        Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(StoreName), new StringSerDes(), new ByteArraySerDes());

    public void Init(ProcessorContext<string, Outgoing> context)
    {
        _context = context;
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(StoreName);
        context.Schedule(options.TickInterval, PunctuationType.PROCESSING_TIME, Tick);
    }

    public Record<string, Outgoing> Process(Record<string, Decoded<ActivitySnapshot>> record)
    {
        Restore();
        metrics.RecordsIn.WithLabels(Job).Inc();
        var decoded = record.Value;
        if (decoded.IsFailure || decoded.Value is null)
        {
            DeadLetter(record, decoded.FailureReason ?? "empty-record", decoded.FailureDetail ?? "A snapshot record without a value.");
            return null!;
        }

        var snapshot = decoded.Value;
        if (snapshot.Container.ProfileKey is not { } profileKey)
        {
            DeadLetter(record, "image-unresolved", $"Snapshot {snapshot.SnapshotId} has no image name and tag.");
            return null!;
        }

        var key = profileKey.ToString();
        if (!_aggregates.TryGetValue(key, out var aggregate))
        {
            aggregate = new ProfileAggregate(profileKey, options.Policy);
            _aggregates.Add(key, aggregate);
        }

        var wasLearning = aggregate.Status == ProfileStatus.Learning;
        var outcome = aggregate.Merge(snapshot, _context.WallClockTime * 1000);
        metrics.ProfileMerges.WithLabels(outcome.ToString()).Inc();
        if (wasLearning && aggregate.Status == ProfileStatus.Stable)
        {
            // A merge applies both rules: the count rule after applying, the time rule before (then the snapshot is rejected).
            metrics.ProfilesStabilised.WithLabels(outcome == MergeOutcome.Applied ? StableRule.SnapshotCount : StableRule.Time).Inc();
        }
        if (outcome == MergeOutcome.WrongProfile)
        {
            DeadLetter(record, "wrong-profile", $"Snapshot {snapshot.SnapshotId} does not belong to profile {key}.");
            return null!;
        }

        // Rejections and duplicates change the profile's counters, which are part of what it publishes.
        Publish(key, aggregate);
        return null!;
    }

    public void Close()
    {
    }

    /// <summary>
    /// Once, before the first record or tick: the aggregates from the restored store. Not in <see cref="Init"/>: Streamiz
    /// initialises processors before it restores their stores, so the store is still empty there.
    /// </summary>
    void Restore()
    {
        if (_restored)
        {
            return;
        }

        _restored = true;
        foreach (var (key, value) in _store.All())
        {
            _aggregates[key] = ProfileAggregate.FromProfile(codecs.Profiles.Deserialize(value), options.Policy);
        }
    }

    void Tick(long nowMs)
    {
        Restore();
        metrics.Punctuations.WithLabels(Job).Inc();
        foreach (var (key, aggregate) in _aggregates)
        {
            if (aggregate.Status == ProfileStatus.Learning && aggregate.Tick(nowMs * 1000))
            {
                metrics.ProfilesStabilised.WithLabels(StableRule.Time).Inc();
                Publish(key, aggregate);
            }
        }
    }

    void Publish(string key, ProfileAggregate aggregate)
    {
        var encoded = codecs.Profiles.Serialize(aggregate.ToProfile());
        _store.Put(key, encoded);
        _context.Forward(key, new Outgoing(PipelineTopics.Profiles.Name, encoded));
        metrics.RecordsOut.WithLabels(Job, PipelineTopics.Profiles.Name).Inc();
    }

    void DeadLetter(Record<string, Decoded<ActivitySnapshot>> record, string reason, string detail)
    {
        var (key, value) = _deadLetters.Create(record.TopicPartitionOffset, record.Key, record.Value.Raw, reason, detail,
            _context.WallClockTime);
        _context.Forward(key, value);
        metrics.RecordsOut.WithLabels(Job, PipelineTopics.DeadLetter.Name).Inc();
    }
}

/// <summary>Which rule turned a profile Stable (label <c>rule</c> of <c>wp_streams_profiles_stabilised_total</c>).</summary>
internal static class StableRule
{
    public const string SnapshotCount = "snapshot-count";
    public const string Time = "time";
}
