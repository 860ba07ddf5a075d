using Streamiz.Kafka.Net.Processors.Public;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Falco;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Detection;

/// <summary>
/// Falco alerts (falcosidekick's JSON on the Falco topic) → <c>wp.signals</c>, so Falco users get enrichment too.
/// The alert's container (short id, runtime image name) is mapped onto the agent's (full id, resolved image) through the
/// container inventory, so the signal meets the image's profile and suppressions. Unparseable alerts are dead-lettered
/// with the parser's reason; accepted suppressions apply to Falco rules as well.
/// </summary>
internal sealed class FalcoBridgeProcessor(SuppressionSet suppressions, ContainerInventory inventory, PipelineCodecs codecs, StreamsMetrics metrics)
    : ITransformer<string, byte[], string, Outgoing>
{
    const string Job = "falco-bridge";

    readonly DeadLetterSink _deadLetters = new("falco-bridge", codecs.DeadLetters, metrics);
    ProcessorContext<string, Outgoing> _context = null!;

    public void Init(ProcessorContext<string, Outgoing> context) => _context = context;

    public Record<string, Outgoing> Process(Record<string, byte[]> record)
    {
        metrics.RecordsIn.WithLabels(Job).Inc();
        if (record.Value is null)
        {
            DeadLetter(record, "empty-record", "A Falco record without a value.");
            return null!;
        }

        if (!FalcoAlertParser.TryParse(record.Value, out var alert, out var error))
        {
            DeadLetter(record, error.Reason, error.Detail);
            return null!;
        }

        var container = inventory.Resolve(alert.Container);
        metrics.FalcoContainers.WithLabels(ReferenceEquals(container, alert.Container) ? "unknown" : "inventory").Inc();
        var signal = alert with { Container = container };

        if (suppressions.Match(signal.RuleId, signal.Container.ImageName, signal.Behaviour) is not null)
        {
            metrics.SuppressedSignals.Inc();
            return null!;
        }

        var signalKey = signal.Container.ProfileKey?.ToString() ?? signal.Container.Id;
        _context.Forward(signalKey, new Outgoing(PipelineTopics.Signals.Name, codecs.Signals.Serialize(signal)));
        metrics.Signals.WithLabels(FalcoAlertParser.Source).Inc();
        metrics.RecordsOut.WithLabels(Job, PipelineTopics.Signals.Name).Inc();
        return null!;
    }

    public void Close()
    {
    }

    void DeadLetter(Record<string, byte[]> record, string reason, string detail)
    {
        var (key, value) = _deadLetters.Create(record.TopicPartitionOffset, record.Key, record.Value, reason, detail,
            _context.WallClockTime);
        _context.Forward(key, value);
    }
}
