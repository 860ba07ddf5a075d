using Streamiz.Kafka.Net.Processors.Public;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Falco;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Detection;

/// <summary>
/// Falco alerts (falcosidekick's JSON on the Falco topic) → <c>wp.signals</c>, so Falco users get enrichment too.
/// The alert's container (short id, runtime image name) is mapped onto the agent's (full id, resolved image) through the
/// container inventory, so the signal meets the image's profile and suppressions. Unparseable alerts, and alerts stamped
/// with a time the jobs cannot believe, are dead-lettered with the reason; accepted suppressions apply to Falco rules as well.
/// </summary>
internal sealed class FalcoBridgeProcessor(SuppressionSet suppressions, ContainerInventory inventory, PipelineCodecs codecs,
    StreamsMetrics metrics, EventTimeLimits times, JobOutput output) : ITransformer<string, byte[], string, Outgoing>, ISkipsFailedRecords<string, byte[]>
{
    const string Job = "falco-bridge";

    ProcessorContext<string, Outgoing> _context = null!;

    public void Init(ProcessorContext<string, Outgoing> context)
    {
        _context = context;
        output.Init(context);
    }

    public Record<string, Outgoing> Process(Record<string, byte[]> record)
    {
        metrics.RecordsIn.WithLabels(Job).Inc();
        var source = new Source(record.TopicPartitionOffset, record.Key, record.Value);
        if (record.Value is null)
        {
            output.DeadLetter(source, "empty-record", "A Falco record without a value.");
            return null!;
        }

        if (output.RefuseOversized(source))
        {
            return null!;
        }

        if (!FalcoAlertParser.TryParse(record.Value, out var alert, out var error))
        {
            output.DeadLetter(source, error.Reason, error.Detail);
            return null!;
        }

        var container = inventory.Resolve(alert.Container);
        metrics.FalcoContainers.WithLabels(ReferenceEquals(container, alert.Container) ? "unknown" : "inventory").Inc();
        var signal = alert with { Container = container };

        if (times.CheckTime(signal.TimestampUs, _context.WallClockTime) is { } why)
        {
            output.DeadLetter(source, ContractErrorReasons.InvalidValue, $"alert of rule '{signal.RuleName}': {why}");
            return null!;
        }

        if (suppressions.Match(signal.RuleId, signal.Container.ImageName, signal.Behaviour) is not null)
        {
            metrics.SuppressedSignals.Inc();
            return null!;
        }

        var signalKey = signal.Container.ProfileKey?.ToString() ?? signal.Container.Id;
        if (output.Send(signalKey, PipelineTopics.Signals.Name, codecs.Signals, signal, source))
        {
            metrics.Signals.WithLabels(FalcoAlertParser.Source).Inc();
        }

        return null!;
    }

    public void Skip(Record<string, byte[]> record, Exception exception) =>
        output.Failed(new Source(record.TopicPartitionOffset, record.Key, record.Value), exception);

    public void Close()
    {
    }
}
