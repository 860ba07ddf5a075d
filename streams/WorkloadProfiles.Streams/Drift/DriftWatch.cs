using System.Buffers.Binary;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Domain.Drift;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Streams.Snapshots;

namespace WorkloadProfiles.Streams.Drift;

/// <summary>
/// The drift half of the snapshot job: each event of every container (profiling or detection-only), judged against the
/// baseline of its image with the container's own process lineage — the one the snapshot job keeps and restores — and
/// raised as a <c>wp.drift.*</c> signal on <c>wp.signals</c> when new, not suppressed and within the container's cap.
/// </summary>
/// <remarks>
/// Each container's <see cref="DriftLedger"/> is put in the snapshot job's store whenever it admits a signal, in the same
/// task as the signal, so a restart restores what was already reported: a redelivered batch (skipped by offset) repeats
/// nothing, and a batch not yet applied raises its drift once. Replays of the journal on recovery never raise drift.
/// </remarks>
internal sealed class DriftWatch(DriftPolicy policy, int maxKeyLength, DriftBaselines baselines, SuppressionSet suppressions, PipelineCodecs codecs,
    StreamsMetrics metrics, long windowUs)
{
    readonly DriftDetector _detector = new(maxKeyLength);
    readonly Dictionary<string, DriftLedger> _ledgers = new(StringComparer.Ordinal);
    JobOutput _output = null!;
    IKeyValueStore<string, byte[]> _store = null!;
    long _unresolvedReported;

    /// <summary>Drift signals go out through the snapshot job's output (size-checked, dead-lettered when they cannot be).</summary>
    public void Init(JobOutput output, IKeyValueStore<string, byte[]> store)
    {
        _output = output;
        _store = store;
    }

    /// <summary>
    /// What a batch of the container is judged against: its image's baseline and the drift kinds its policy watches,
    /// looked up once per batch; null when nothing is watched, so its events cost nothing more.
    /// </summary>
    public Scope? ScopeFor(string containerId, ContainerRef container, string hostName)
    {
        if (container.ProfileKey is not { } key || !baselines.TryGet(key, out var baseline))
        {
            return null;
        }

        var kinds = policy.KindsFor(container.ImageName);
        return kinds == DriftKinds.None ? null : new Scope(containerId, container, hostName, baseline, kinds);
    }

    /// <summary>Judges one event, after the container's lineage has applied it.</summary>
    /// <param name="partition">With <paramref name="offset"/>, the raw batch the event came in (named by a dead letter if the
    /// signal cannot be written).</param>
    public void Inspect(in Scope scope, RawEvent e, ProcessTable processes, int partition, long offset)
    {
        if (_detector.Inspect(e, processes, scope.Baseline, scope.Kinds) is not { } finding)
        {
            ReportUnresolved();
            return;
        }

        var (containerId, container, hostName) = (scope.ContainerId, scope.Container, scope.HostName);
        var source = Source.At(PipelineTopics.RawEvents.Name, partition, offset, containerId);
        var behaviour = DriftSignals.BehaviourOf(finding, e);
        if (suppressions.Match(finding.RuleId, container.ImageName, behaviour) is not null)
        {
            metrics.Drift.WithLabels("suppressed").Inc();
            return;
        }

        var ledger = Ledger(containerId);
        var windowStart = e.TimestampUs - (((e.TimestampUs % windowUs) + windowUs) % windowUs);
        switch (ledger.Admit(finding.DedupKey, windowStart, policy.MaxSignalsPerWindow))
        {
            case DriftAdmission.Report:
                Publish(DriftSignals.Create(finding, behaviour, e, container, hostName), "reported", source);
                Persist(containerId, ledger);
                break;
            case DriftAdmission.Overflow:
                Publish(DriftSignals.Overflow(finding, behaviour, e, container, hostName, policy.MaxSignalsPerWindow), "overflow", source);
                Persist(containerId, ledger);
                break;
            case DriftAdmission.Duplicate:
                metrics.Drift.WithLabels("duplicate").Inc();
                break;
            case DriftAdmission.OverCap:
                metrics.Drift.WithLabels("over-cap").Inc();
                break;
        }
    }

    /// <summary>Restores a ledger from the store (before the first record).</summary>
    public void Restore(string containerId, byte[] value) => _ledgers[containerId] = Decode(value);

    /// <summary>The container is gone: its ledger too.</summary>
    public void Forget(string containerId)
    {
        if (_ledgers.Remove(containerId))
        {
            _store.Delete(SnapshotStateKeys.DriftKey(containerId));
        }
    }

    DriftLedger Ledger(string containerId)
    {
        if (!_ledgers.TryGetValue(containerId, out var ledger))
        {
            _ledgers[containerId] = ledger = new DriftLedger();
        }

        return ledger;
    }

    void Publish(SecuritySignal signal, string outcome, in Source source)
    {
        var key = signal.Container.ProfileKey?.ToString() ?? signal.Container.Id;
        metrics.Drift.WithLabels(outcome).Inc();
        if (_output.Send(key, PipelineTopics.Signals.Name, codecs.Signals, signal, source))
        {
            metrics.Signals.WithLabels(DriftSignals.Source).Inc();
        }
    }

    void ReportUnresolved()
    {
        if (_detector.UnresolvedLineage > _unresolvedReported)
        {
            metrics.Drift.WithLabels("unresolved-lineage").Inc(_detector.UnresolvedLineage - _unresolvedReported);
            _unresolvedReported = _detector.UnresolvedLineage;
        }
    }

    /// <summary>A container's batch under watch (<see cref="ScopeFor"/>).</summary>
    public readonly record struct Scope(string ContainerId, ContainerRef Container, string HostName, DriftBaseline Baseline, DriftKinds Kinds);

    void Persist(string containerId, DriftLedger ledger) => _store.Put(SnapshotStateKeys.DriftKey(containerId), Encode(ledger));

    /// <summary>window start (8) · overflow reported (1) · key count (4) · keys (8 each), little endian.</summary>
    static byte[] Encode(DriftLedger ledger)
    {
        var value = new byte[13 + 8 * ledger.Reported.Count];
        BinaryPrimitives.WriteInt64LittleEndian(value, ledger.WindowStartUs);
        value[8] = ledger.OverflowReported ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(9), ledger.Reported.Count);
        var at = 13;
        foreach (var key in ledger.Reported)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(value.AsSpan(at), key);
            at += 8;
        }

        return value;
    }

    static DriftLedger Decode(byte[] value)
    {
        if (value.Length < 13)
        {
            throw new InvalidDataException($"drift ledger of {value.Length} bytes is shorter than its 13-byte header");
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(value.AsSpan(9));
        if (count < 0 || value.Length != 13 + 8L * count)
        {
            throw new InvalidDataException($"drift ledger of {value.Length} bytes does not hold the {count} keys it announces");
        }

        var keys = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(13 + 8 * i));
        }

        return DriftLedger.Restore(BinaryPrimitives.ReadInt64LittleEndian(value), keys, value[8] == 1);
    }
}
