using Streamiz.Kafka.Net.Processors.Public;
using WorkloadProfiles.Contracts;
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
/// <remarks>
/// It refuses what the snapshot job refuses (<see cref="RawBatchCheck"/>: undecodable, oversized, impossible identity,
/// unbelievable event times) and dead-letters it only when the snapshot job does not share the source — once is enough.
/// </remarks>
internal sealed class DetectionProcessor(
    DetectionJobOptions options,
    RuleSet rules,
    SuppressionSet suppressions,
    PipelineCodecs codecs,
    StreamsMetrics metrics,
    EventTimeLimits times,
    JobOutput output,
    bool deadLetterRefused) : ITransformer<string, Decoded<RawEventBatch>, string, Outgoing>, ISkipsFailedRecords<string, Decoded<RawEventBatch>>
{
    const string Job = "detection";
    static readonly TimeSpan CounterInterval = TimeSpan.FromSeconds(5);

    readonly DetectionEngine _engine = new(rules, suppressions, options.Engine);
    ProcessorContext<string, Outgoing> _context = null!;
    long _suppressedReported;

    public void Init(ProcessorContext<string, Outgoing> context)
    {
        _context = context;
        output.Init(context);
        context.Schedule(CounterInterval, PunctuationType.PROCESSING_TIME, output.Guard(_ => ReportSuppressed()));
    }

    public Record<string, Outgoing> Process(Record<string, Decoded<RawEventBatch>> record)
    {
        metrics.RecordsIn.WithLabels(Job).Inc();
        var decoded = record.Value;
        var source = new Source(record.TopicPartitionOffset, record.Key, decoded.Raw);
        if (decoded.Value is null)
        {
            Refuse(source, decoded.FailureReason ?? "empty-record", decoded.FailureDetail ?? "A raw event record without a value.");
            return null!;
        }

        if (output.OversizedProblem(source) is { } oversized)
        {
            Refuse(source, ContractErrorReasons.Oversized, oversized);
            return null!;
        }

        var batch = decoded.Value;
        if (RawBatchCheck.IdentityProblem(batch) is { } identity)
        {
            Refuse(source, ContractErrorReasons.InvalidValue, identity);
            return null!;
        }

        var events = RawBatchCheck.UsableEvents(batch, times, record.Timestamp.UnixTimestampMs, _context.WallClockTime, out var refused, out var problem);
        if (refused > 0)
        {
            Refuse(source, ContractErrorReasons.InvalidValue, $"{refused} of {batch.Events.Count} events cannot be used, e.g. {problem}; the rest were used");
            batch = batch with { Events = events };
        }

        var signals = _engine.Evaluate(batch);
        for (var i = 0; i < signals.Count; i++)
        {
            Publish(signals[i], source);
        }

        return null!;
    }

    public void Skip(Record<string, Decoded<RawEventBatch>> record, Exception exception)
    {
        // The snapshot job processes the same record in its own way; only a failure here is detection's to report.
        output.Failed(new Source(record.TopicPartitionOffset, record.Key, record.Value.Raw), exception);
    }

    public void Close() => ReportSuppressed();

    void Refuse(in Source source, string reason, string detail)
    {
        if (deadLetterRefused)
        {
            output.DeadLetter(source, reason, detail);
        }
    }

    void Publish(SecuritySignal signal, in Source source)
    {
        var key = signal.Container.ProfileKey?.ToString() ?? signal.Container.Id;
        if (output.Send(key, PipelineTopics.Signals.Name, codecs.Signals, signal, source))
        {
            metrics.Signals.WithLabels("rules").Inc();
        }
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
