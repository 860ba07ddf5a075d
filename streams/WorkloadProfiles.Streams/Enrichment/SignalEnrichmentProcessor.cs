using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
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
/// </remarks>
internal sealed class SignalEnrichmentProcessor(EnrichmentOptions options, PipelineCodecs codecs, StreamsMetrics metrics)
    : ITransformer<string, EnrichmentInput, string, Outgoing>
{
    public const string StoreName = "enrichment-profiles";
    const string Job = "enrichment";

    readonly DeadLetterSink _deadLetters = new("enrichment-job", codecs.DeadLetters, metrics);
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

    public void Close()
    {
    }

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
            _profiles.Remove(record.Key);
            _store.Delete(record.Key);
            return;
        }

        if (profile.Value is null)
        {
            DeadLetter(record, profile.Raw, profile.FailureReason!, profile.FailureDetail!);
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

    void OnSignal(Record<string, EnrichmentInput> record, Decoded<SecuritySignal> signal)
    {
        if (signal.Value is null)
        {
            DeadLetter(record, signal.Raw, signal.FailureReason ?? "empty-record", signal.FailureDetail ?? "A signal record without a value.");
            return;
        }

        var key = signal.Value.Container.ProfileKey?.ToString() ?? record.Key;
        _profiles.TryGetValue(key, out var profile);
        var enriched = _matcher.Enrich(signal.Value, profile, _context.WallClockTime * 1000);
        metrics.Enriched.WithLabels(enriched.Profile is null ? "none" : "found", enriched.Suggestion is null ? "no" : "yes").Inc();
        _context.Forward(key, new Outgoing(PipelineTopics.EnrichedSignals.Name, codecs.EnrichedSignals.Serialize(enriched)));
        metrics.RecordsOut.WithLabels(Job, PipelineTopics.EnrichedSignals.Name).Inc();
        if (options.Json.Enabled)
        {
            _context.Forward(key, new Outgoing(options.Json.Topic, SignalJson.Serialize(enriched, options.Json)));
            metrics.RecordsOut.WithLabels(Job, options.Json.Topic).Inc();
        }
    }

    void DeadLetter(Record<string, EnrichmentInput> record, byte[]? raw, string reason, string detail)
    {
        var (key, value) = _deadLetters.Create(record.TopicPartitionOffset, record.Key, raw, reason, detail, _context.WallClockTime);
        _context.Forward(key, value);
        metrics.RecordsOut.WithLabels(Job, PipelineTopics.DeadLetter.Name).Inc();
    }
}
