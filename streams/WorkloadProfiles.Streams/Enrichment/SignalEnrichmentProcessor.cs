using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Contracts.Json;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Enrichment;

/// <summary>
/// <c>wp.signals</c> ⨝ <c>wp.profiles</c> → <c>wp.signals.enriched</c>: every signal gets its profile's context and, when
/// <see cref="SuggestionMatcher"/> says so, a suppression suggestion; a signal with no profile passes through with none.
/// The same record also goes to the JSON topic (<see cref="EnrichmentOptions.Json"/>, ECS by default) for SOC tools.
/// </summary>
/// <remarks>
/// The profile side is kept in memory as <see cref="ProfileIndex"/>es (node id → node), built once per profile update;
/// the store (changelog-backed) holds the encoded bytes for restarts. A signal costs two dictionary lookups and the
/// matcher, never a profile decode or a scan of its nodes.
/// Both topics are keyed by image@version and partitioned alike, so a task sees every profile its signals need.
/// Profiles and signals that are too large to store or forward, or carry times the jobs cannot believe, are
/// dead-lettered: a profile that lands in the store is one the job can always restore.
/// </remarks>
internal sealed class SignalEnrichmentProcessor(EnrichmentOptions options, PipelineCodecs codecs, StreamsMetrics metrics, EventTimeLimits times,
    JobOutput output) : ITransformer<string, EnrichmentInput, string, Outgoing>, ISkipsFailedRecords<string, EnrichmentInput>
{
    public const string StoreName = "enrichment-profiles";
    const string Job = "enrichment";

    readonly SuggestionMatcher _matcher = new(options.Policy);
    readonly Dictionary<string, ProfileIndex> _profiles = new(StringComparer.Ordinal);
    ProcessorContext<string, Outgoing> _context = null!;
    IKeyValueStore<string, byte[]> _store = null!;
    bool _restored;

    public static IStoreBuilder StoreBuilder() =>
        Stores.KeyValueStoreBuilder(Stores.InMemoryKeyValueStore(StoreName), new StringSerDes(), new ByteArraySerDes());

    public void Init(ProcessorContext<string, Outgoing> context)
    {
        _context = context;
        output.Init(context);
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(StoreName);
    }

    public Record<string, Outgoing> Process(Record<string, EnrichmentInput> record)
    {
        Restore();
        metrics.RecordsIn.WithLabels(Job).Inc();
        if (record.Value.IsProfile)
        {
            OnProfile(record, record.Value.Profile);
        }
        else
        {
            OnSignal(record, record.Value.Signal);
        }

        return null!;
    }

    public void Skip(Record<string, EnrichmentInput> record, Exception exception) =>
        output.Failed(SourceOf(record), exception);

    public void Close()
    {
    }

    static Source SourceOf(Record<string, EnrichmentInput> record) =>
        new(record.TopicPartitionOffset, record.Key, record.Value.IsProfile ? record.Value.Profile.Raw : record.Value.Signal.Raw);

    /// <summary>
    /// Once, before the first record: the profiles from the restored store. Not in <see cref="Init"/>: Streamiz
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
            _profiles[key] = new ProfileIndex(codecs.Profiles.Deserialize(value));
        }
    }

    void OnProfile(Record<string, EnrichmentInput> record, Decoded<SecurityProfile> profile)
    {
        if (profile.IsTombstone)
        {
            if (record.Key.Length <= output.Limits.MaxKeyBytes)
            {
                _profiles.Remove(record.Key);
                _store.Delete(record.Key);
            }

            return;
        }

        var source = SourceOf(record);
        if (profile.Value is null)
        {
            output.DeadLetter(source, profile.FailureReason!, profile.FailureDetail!);
            return;
        }

        if (output.RefuseOversized(source))
        {
            return;
        }

        if (Unbelievable(profile.Value) is { } why)
        {
            output.DeadLetter(source, ContractErrorReasons.InvalidValue, $"profile: {why}");
            return;
        }

        var key = profile.Value.Key.ToString();
        if (_profiles.TryGetValue(key, out var known) && known.Profile.Revision > profile.Value.Revision)
        {
            return; // an older revision redelivered after a newer one: the view keeps the newest
        }

        _profiles[key] = new ProfileIndex(profile.Value);
        _store.Put(key, profile.Raw!);
    }

    /// <summary>Node times end up in suggestions' evidence: a profile with times the jobs cannot believe is refused whole.</summary>
    string? Unbelievable(SecurityProfile profile)
    {
        if (profile.Key.ImageName.Length > RawBatchCheck.MaxNameLength || profile.Key.ImageTag.Length > RawBatchCheck.MaxNameLength)
        {
            return $"the image name and tag have {profile.Key.ImageName.Length} and {profile.Key.ImageTag.Length} characters (at most {RawBatchCheck.MaxNameLength})";
        }

        var now = _context.WallClockTime;
        foreach (var node in profile.Nodes)
        {
            if (times.CheckTime(node.FirstSeenUs, now) is { } first)
            {
                return $"node {node.Id:x16} first seen: {first}";
            }

            if (times.CheckTime(node.LastSeenUs, now) is { } last)
            {
                return $"node {node.Id:x16} last seen: {last}";
            }
        }

        return null;
    }

    void OnSignal(Record<string, EnrichmentInput> record, Decoded<SecuritySignal> signal)
    {
        var source = SourceOf(record);
        if (signal.Value is null)
        {
            output.DeadLetter(source, signal.FailureReason ?? "empty-record", signal.FailureDetail ?? "A signal record without a value.");
            return;
        }

        if (output.RefuseOversized(source))
        {
            return;
        }

        if (times.CheckTime(signal.Value.TimestampUs, _context.WallClockTime) is { } why)
        {
            output.DeadLetter(source, ContractErrorReasons.InvalidValue, $"signal {signal.Value.SignalId}: {why}");
            return;
        }

        var key = signal.Value.Container.ProfileKey?.ToString() ?? record.Key;
        _profiles.TryGetValue(key, out var profile);
        var enriched = _matcher.Enrich(signal.Value, profile, _context.WallClockTime * 1000);
        if (output.Send(key, PipelineTopics.EnrichedSignals.Name, codecs.EnrichedSignals, enriched, source))
        {
            metrics.Enriched.WithLabels(enriched.Profile is null ? "none" : "found", enriched.Suggestion is null ? "no" : "yes").Inc();
            if (options.Json.Enabled)
            {
                // The SOC copy: one JSON line per enriched signal (Enrichment:JsonTopic, Enrichment:JsonFormat).
                output.Send(key, options.Json.Topic, SignalJson.Serialize(enriched, options.Json), source);
            }
        }
    }
}
