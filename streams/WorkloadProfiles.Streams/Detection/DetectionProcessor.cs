using Streamiz.Kafka.Net.Processors.Public;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Detection;

/// <summary>
/// <c>wp.events.raw</c> → <c>wp.signals</c> through the rules engine, one <see cref="DetectionEngine"/> per task (the
/// engine keeps each container's process lineage, and a container's batches all land on one partition). The
/// suppression set is shared with the <c>wp.suppressions</c> global store, so accepted suggestions apply at once.
/// </summary>
internal sealed class DetectionProcessor(
    DetectionJobOptions options,
    RuleSet rules,
    SuppressionSet suppressions,
    PipelineCodecs codecs,
    StreamsMetrics metrics,
    bool deadLetterUndecodable) : ITransformer<string, Decoded<RawEventBatch>, string, Outgoing>
{
    const string Job = "detection";
    static readonly TimeSpan CounterInterval = TimeSpan.FromSeconds(5);

    readonly DetectionEngine _engine = new(rules, suppressions, options.Engine);
    readonly DeadLetterSink _deadLetters = new("detection-job", codecs.DeadLetters, metrics);
    ProcessorContext<string, Outgoing> _context = null!;
    long _suppressedReported;

    public void Init(ProcessorContext<string, Outgoing> context)
    {
        _context = context;
        context.Schedule(CounterInterval, PunctuationType.PROCESSING_TIME, _ => ReportSuppressed());
    }

    public Record<string, Outgoing> Process(Record<string, Decoded<RawEventBatch>> record)
    {
        metrics.RecordsIn.WithLabels(Job).Inc();
        var decoded = record.Value;
        if (decoded.Value is null)
        {
            // When the snapshot job shares this source it dead-letters the record already; once is enough.
            if (deadLetterUndecodable)
            {
                var (key, value) = _deadLetters.Create(record.TopicPartitionOffset, record.Key, decoded.Raw,
                    decoded.FailureReason ?? "empty-record", decoded.FailureDetail ?? "A raw event record without a value.",
                    _context.WallClockTime);
                _context.Forward(key, value);
            }

            return null!;
        }

        var signals = _engine.Evaluate(decoded.Value);
        for (var i = 0; i < signals.Count; i++)
        {
            Publish(signals[i]);
        }

        return null!;
    }

    public void Close() => ReportSuppressed();

    void Publish(SecuritySignal signal)
    {
        var key = signal.Container.ProfileKey?.ToString() ?? signal.Container.Id;
        _context.Forward(key, new Outgoing(PipelineTopics.Signals.Name, codecs.Signals.Serialize(signal)));
        metrics.Signals.WithLabels("rules").Inc();
        metrics.RecordsOut.WithLabels(Job, PipelineTopics.Signals.Name).Inc();
    }

    // The engine counts suppressions per rule; the Prometheus counter follows its total.
    void ReportSuppressed()
    {
        var total = _engine.Counters.Suppressed.Values.Sum();
        if (total > _suppressedReported)
        {
            metrics.SuppressedSignals.Inc(total - _suppressedReported);
            _suppressedReported = total;
        }
    }
}
