using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Contracts;
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
/// A profile never outgrows <see cref="ProfilePolicy.MaxBytes"/> (new nodes beyond it are dropped and counted), and a
/// snapshot with identity strings or times no real one has is dead-lettered before it can reach a profile.
/// </remarks>
internal sealed class ProfileAggregationProcessor(ProfileJobOptions options, PipelineCodecs codecs, StreamsMetrics metrics, EventTimeLimits times,
    JobOutput output, StoreRestoration restoration) : ITransformer<string, Decoded<ActivitySnapshot>, string, Outgoing>, ISkipsFailedRecords<string, Decoded<ActivitySnapshot>>
{
    public const string StoreName = "profile-aggregates";
    const string Job = "profiles";
    static readonly long MaxWindowUs = (long)TimeSpan.FromDays(366).TotalMicroseconds;

    readonly Dictionary<string, ProfileAggregate> _aggregates = new(StringComparer.Ordinal);
    ProcessorContext<string, Outgoing> _context = null!;
    IKeyValueStore<string, byte[]> _store = null!;
    bool _restored;
    // Whether the task's store has been restored since the processor was created: a tick restores only then.
    StoreRestoration.Watch _restore = null!;

    public static IStoreBuilder StoreBuilder() =>
        Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(StoreName), new StringSerDes(), new ByteArraySerDes());

    public void Init(ProcessorContext<string, Outgoing> context)
    {
        _context = context;
        output.Init(context);
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(StoreName);
        _restore = restoration.WatchFrom(StoreName, context.Id.Partition);
        context.Schedule(options.TickInterval, PunctuationType.PROCESSING_TIME, output.Guard(Tick));
    }

    public Record<string, Outgoing> Process(Record<string, Decoded<ActivitySnapshot>> record)
    {
        Restore();
        metrics.RecordsIn.WithLabels(Job).Inc();
        var decoded = record.Value;
        var source = new Source(record.TopicPartitionOffset, record.Key, decoded.Raw);
        if (decoded.IsFailure || decoded.Value is null)
        {
            output.DeadLetter(source, decoded.FailureReason ?? "empty-record", decoded.FailureDetail ?? "A snapshot record without a value.");
            return null!;
        }

        if (output.RefuseOversized(source))
        {
            return null!;
        }

        var snapshot = decoded.Value;
        if (snapshot.Container.ProfileKey is not { } profileKey)
        {
            output.DeadLetter(source, "image-unresolved", $"Snapshot {snapshot.SnapshotId} has no image name and tag.");
            return null!;
        }

        if (Unbelievable(snapshot) is { } why)
        {
            output.DeadLetter(source, ContractErrorReasons.InvalidValue, why);
            return null!;
        }

        var key = profileKey.ToString();
        if (!_aggregates.TryGetValue(key, out var aggregate))
        {
            aggregate = new ProfileAggregate(profileKey, options.Policy);
            _aggregates.Add(key, aggregate);
        }

        var dropped = aggregate.DroppedNodes;
        var wasLearning = aggregate.Status == ProfileStatus.Learning;
        var outcome = aggregate.Merge(snapshot, _context.WallClockTime * 1000);
        metrics.ProfileMerges.WithLabels(outcome.ToString()).Inc();
        metrics.ProfileDroppedNodes.Inc(aggregate.DroppedNodes - dropped);
        if (wasLearning && aggregate.Status == ProfileStatus.Stable)
        {
            // A merge applies both rules: the count rule after applying, the time rule before (then the snapshot is rejected).
            metrics.ProfilesStabilised.WithLabels(outcome == MergeOutcome.Applied ? StableRule.SnapshotCount : StableRule.Time).Inc();
        }
        if (outcome == MergeOutcome.WrongProfile)
        {
            output.DeadLetter(source, "wrong-profile", $"Snapshot {snapshot.SnapshotId} does not belong to profile {key}.");
            return null!;
        }

        // Rejections and duplicates change the profile's counters, which are part of what it publishes.
        Publish(key, aggregate, source);
        return null!;
    }

    public void Skip(Record<string, Decoded<ActivitySnapshot>> record, Exception exception) =>
        output.Failed(new Source(record.TopicPartitionOffset, record.Key, record.Value.Raw), exception);

    public void Close()
    {
    }

    /// <summary>Why a snapshot cannot be merged although it decodes: identity strings or times no snapshot job writes.</summary>
    string? Unbelievable(ActivitySnapshot snapshot)
    {
        var container = snapshot.Container;
        if (container.Id.Length is 0 or > RawBatchCheck.MaxContainerIdLength || container.ImageName!.Length > RawBatchCheck.MaxNameLength
            || container.ImageTag!.Length > RawBatchCheck.MaxNameLength || snapshot.HostName.Length > RawBatchCheck.MaxNameLength
            || snapshot.SnapshotId.Length > RawBatchCheck.MaxContainerIdLength + 32)
        {
            return $"snapshot identity out of bounds: id {snapshot.SnapshotId.Length}, container id {container.Id.Length}, image " +
                   $"{container.ImageName!.Length}, tag {container.ImageTag!.Length}, host {snapshot.HostName.Length} characters";
        }

        var now = _context.WallClockTime;
        if (times.CheckTime(snapshot.WindowStartUs, now) is { } start)
        {
            return $"snapshot {snapshot.SnapshotId} window start: {start}";
        }

        // A window closed early (container exit, quiet container) ends after the clock: only its length is judged.
        if (snapshot.WindowEndUs < snapshot.WindowStartUs || snapshot.WindowEndUs - snapshot.WindowStartUs > MaxWindowUs)
        {
            return $"snapshot {snapshot.SnapshotId} window ends {snapshot.WindowEndUs - snapshot.WindowStartUs} µs after it starts (0 .. one year)";
        }

        foreach (var node in snapshot.Nodes)
        {
            if (times.CheckTime(node.FirstSeenUs, now) is { } first)
            {
                return $"snapshot {snapshot.SnapshotId} node {node.Id:x16} first seen: {first}";
            }

            if (times.CheckTime(node.LastSeenUs, now) is { } last)
            {
                return $"snapshot {snapshot.SnapshotId} node {node.Id:x16} last seen: {last}";
            }
        }

        return null;
    }

    /// <summary>
    /// Once, before the first record or tick: the aggregates from the restored store. Not in <see cref="Init"/>: Streamiz
    /// initialises processors before it restores their stores, so the store is still empty there (and a tick waits for
    /// <see cref="StoreRestoration"/>, as Streamiz punctuates during the restore).
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
        if (!_restored && !_restore.Restored)
        {
            // The store may still be restoring (see StoreRestoration): rebuilding the aggregates from it now would keep a prefix.
            return;
        }

        Restore();
        metrics.Punctuations.WithLabels(Job).Inc();
        foreach (var (key, aggregate) in _aggregates.ToList())
        {
            if (aggregate.Status == ProfileStatus.Learning && aggregate.Tick(nowMs * 1000))
            {
                metrics.ProfilesStabilised.WithLabels(StableRule.Time).Inc();
                Publish(key, aggregate, Source.At(PipelineTopics.Snapshots.Name, _context.Id.Partition, -1, key));
            }
        }
    }

    /// <summary>
    /// Stores and forwards the profile. Should it ever be too large to write (the aggregate's byte bound makes that a bug),
    /// the aggregate goes back to its last stored form and the snapshot is dead-lettered rather than the profile lost.
    /// </summary>
    void Publish(string key, ProfileAggregate aggregate, in Source source)
    {
        byte[]? encoded;
        try
        {
            encoded = codecs.Profiles.Serialize(aggregate.ToProfile());
        }
        catch (ContractException e)
        {
            output.DeadLetter(source, e.Reason, $"profile {key} could not be written after this snapshot: {e.Message}");
            encoded = null;
        }

        if (encoded is null || !output.Send(key, PipelineTopics.Profiles.Name, encoded, source))
        {
            if (_store.Get(key) is { } stored)
            {
                _aggregates[key] = ProfileAggregate.FromProfile(codecs.Profiles.Deserialize(stored), options.Policy);
            }
            else
            {
                _aggregates.Remove(key);
            }

            return;
        }

        _store.Put(key, encoded);
    }
}

/// <summary>Which rule turned a profile Stable (label <c>rule</c> of <c>wp_streams_profiles_stabilised_total</c>).</summary>
internal static class StableRule
{
    public const string SnapshotCount = "snapshot-count";
    public const string Time = "time";
}
