using System.Globalization;
using System.Text;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Detection;
using WorkloadProfiles.Detection.Rules;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Detection;

/// <summary>
/// <c>wp.events.raw</c> → <c>wp.signals</c> through the rules engine, one <see cref="DetectionEngine"/> per task (the
/// engine keeps each container's process lineage, and a container's batches all land on one partition). The
/// suppression set is shared with the <c>wp.suppressions</c> global store, so accepted suggestions apply at once.
/// </summary>
/// <remarks>
/// <para>
/// It refuses what the snapshot job refuses (<see cref="RawBatchCheck"/>: undecodable, oversized, impossible identity,
/// unusable events) and dead-letters it only when the snapshot job does not share the source — once is enough.
/// </para>
/// <para>
/// Lineage survives a restart and a task moving to another instance: every batch with lineage events or signals is
/// journaled in a changelog-backed store (its lineage events and the signals it raised), folded into a checkpoint of the
/// container's table every <see cref="FoldEvery"/> entries; a new owner restores the checkpoint and replays the journal
/// before its first batch, so a signal carries the same ancestry on any instance. Journal entries live in
/// <see cref="FoldEvery"/> slots per container that the next round overwrites (an entry at or below the checkpoint's
/// offset is stale), so a fold writes one record instead of a tombstone per entry. A batch redelivered after a restart
/// (at or below the container's last journaled offset) is not evaluated again over a lineage that already holds it: its
/// journaled signals are sent again instead (same ids, so downstream they collapse).
/// </para>
/// </remarks>
internal sealed class DetectionProcessor(
    DetectionJobOptions options,
    RuleSet rules,
    SuppressionSet suppressions,
    PipelineCodecs codecs,
    StreamsMetrics metrics,
    EventTimeLimits times,
    JobOutput output,
    bool deadLetterRefused,
    StoreCommits commits) : ITransformer<string, Decoded<RawEventBatch>, string, Outgoing>, ISkipsFailedRecords<string, Decoded<RawEventBatch>>
{
    public const string StoreName = "detection-lineage";
    const string Job = "detection";
    const int FoldEvery = 64;
    // Store keys of outputs not yet known to be delivered (Outbox); checkpoints are "c|", journal slots "j|".
    const string OutboxPrefix = "o|";
    static readonly TimeSpan CounterInterval = TimeSpan.FromSeconds(5);

    readonly DetectionEngine _engine = new(rules, suppressions, options.Engine);
    readonly Dictionary<string, Lineage> _lineages = new(StringComparer.Ordinal);
    ProcessorContext<string, Outgoing> _context = null!;
    IKeyValueStore<string, byte[]> _store = null!;
    Outbox _outbox = null!;
    long _suppressedReported;
    bool _restored;

    /// <summary>The task store: in memory, changelog-backed, its commits counted for the outbox.</summary>
    public static IStoreBuilder StoreBuilder(StoreCommits commits) =>
        Stores.KeyValueStoreBuilder(commits.Supplier(StoreName), new StringSerDes(), new ByteArraySerDes());

    public void Init(ProcessorContext<string, Outgoing> context)
    {
        _context = context;
        output.Init(context);
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(StoreName);
        // Every output is kept until a commit has delivered it: a fold can store a checkpoint past batches whose signals a
        // crash then kept from the topic, and their redelivery finds no journal entry to send them from (see Outbox).
        var partition = context.Id.Partition;
        _outbox = output.KeepIn(_store, OutboxPrefix, () => commits.Count(StoreName, partition));
        context.Schedule(CounterInterval, PunctuationType.PROCESSING_TIME, output.Guard(_ =>
        {
            ReportSuppressed();
            _outbox.Confirm();
        }));
        context.Schedule(TimeSpan.FromMinutes(1), PunctuationType.PROCESSING_TIME, output.Guard(ForgetExited));
    }

    public Record<string, Outgoing> Process(Record<string, Decoded<RawEventBatch>> record)
    {
        Restore();
        _outbox.Confirm();
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

        var offset = record.TopicPartitionOffset.Offset.Value;
        var lineage = LineageOf(batch.Container.Id);
        if (offset <= lineage.LastOffset)
        {
            Resend(batch.Container.Id, offset, source);
            return null!;
        }

        var events = RawBatchCheck.UsableEvents(batch, times, record.Timestamp.UnixTimestampMs, _context.WallClockTime, out var refused, out var problem);
        if (refused > 0)
        {
            Refuse(source, ContractErrorReasons.InvalidValue, $"{refused} of {batch.Events.Count} events cannot be used, e.g. {problem}; the rest were used");
            batch = batch with { Events = events };
        }

        var signals = _engine.Evaluate(batch);
        var sent = new List<byte[]>(signals.Count);
        for (var i = 0; i < signals.Count; i++)
        {
            if (Publish(signals[i], source) is { } encoded)
            {
                sent.Add(encoded);
            }
        }

        Journal(batch, offset, lineage, sent);
        return null!;
    }

    public void Skip(Record<string, Decoded<RawEventBatch>> record, Exception exception) =>
        output.Failed(new Source(record.TopicPartitionOffset, record.Key, record.Value.Raw), exception);

    public void Close() => ReportSuppressed();

    void Refuse(in Source source, string reason, string detail)
    {
        if (deadLetterRefused)
        {
            output.DeadLetter(source, reason, detail);
        }
    }

    byte[]? Publish(SecuritySignal signal, in Source source)
    {
        var key = signal.Container.ProfileKey?.ToString() ?? signal.Container.Id;
        byte[] encoded;
        try
        {
            encoded = codecs.Signals.Serialize(signal);
        }
        catch (ContractException e)
        {
            output.DeadLetter(source, e.Reason, $"the signal of rule {signal.RuleId} it raised cannot be written: {e.Message}");
            return null;
        }

        if (!output.Send(key, PipelineTopics.Signals.Name, encoded, source))
        {
            return null;
        }

        metrics.Signals.WithLabels("rules").Inc();
        return encoded;
    }

    Lineage LineageOf(string containerId)
    {
        if (!_lineages.TryGetValue(containerId, out var lineage))
        {
            _lineages[containerId] = lineage = new Lineage();
        }

        return lineage;
    }

    /// <summary>
    /// Journals what a restart needs of the batch: its lineage events and the signals it raised. Every
    /// <see cref="FoldEvery"/> entries the container's journal folds into a checkpoint of its table.
    /// </summary>
    void Journal(RawEventBatch batch, long offset, Lineage lineage, List<byte[]> signals)
    {
        lineage.LastOffset = offset;
        List<RawEvent>? lineageEvents = null;
        foreach (var e in batch.Events)
        {
            if (e.Kind is EventKind.Exec or EventKind.Fork or EventKind.Exit or EventKind.ContainerExit)
            {
                (lineageEvents ??= []).Add(e);
            }
        }

        if (lineageEvents is null && signals.Count == 0)
        {
            return; // nothing to rebuild or to send again: a redelivery of it is simply evaluated again
        }

        var id = batch.Container.Id;
        using (var buffer = new MemoryStream())
        {
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(offset);
                var events = codecs.Batches.Serialize(batch with { Events = lineageEvents ?? [] });
                writer.Write(events.Length);
                writer.Write(events);
                // The entry is a changelog record: signals beyond the record bound are not kept for resending (counted).
                var room = output.Limits.MaxValueBytes - events.Length - 64;
                var kept = signals.TakeWhile(signal => (room -= signal.Length + 4) >= 0).ToList();
                metrics.SkippedRecords.WithLabels(Job, "signal-not-journaled").Inc(signals.Count - kept.Count);
                writer.Write(kept.Count);
                foreach (var signal in kept)
                {
                    writer.Write(signal.Length);
                    writer.Write(signal);
                }
            }

            _store.Put(JournalKey(id, lineage.Journal.Count), buffer.ToArray());
        }

        lineage.Journal.Add(offset);
        lineage.SlotsUsed = Math.Max(lineage.SlotsUsed, lineage.Journal.Count);
        if (lineage.Journal.Count >= FoldEvery || lineageEvents?.Last().Kind == EventKind.ContainerExit)
        {
            Fold(id, lineage);
        }
    }

    /// <summary>The container's table as of its last batch becomes the checkpoint; the journal it covers goes.</summary>
    void Fold(string containerId, Lineage lineage)
    {
        var checkpoint = Checkpoint(lineage.LastOffset, _engine.ExportLineage(containerId));
        if (checkpoint.Length > output.Limits.MaxValueBytes / 2)
        {
            // A lineage too large for a changelog record (endless distinct programs with huge argv): it starts again, counted.
            _engine.RestoreLineage(containerId, ProcessTableState.Empty);
            metrics.ProcessTableTrims.WithLabels("reset").Inc();
            checkpoint = Checkpoint(lineage.LastOffset, ProcessTableState.Empty);
        }

        _store.Put(CheckpointKey(containerId), checkpoint);
        lineage.CheckpointOffset = lineage.LastOffset;
        lineage.ExitedWallMs = _engine.ExportLineage(containerId) is null ? _context.WallClockTime : null;

        // The slots are not deleted: the next entries overwrite them, and until then they are older than the checkpoint.
        lineage.Journal.Clear();
    }

    static byte[] Checkpoint(long offset, ProcessTableState? table)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(offset);
            writer.Write(table is not null);
            if (table is not null)
            {
                LineageEncoding.Write(writer, table);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>A batch redelivered after a restart: its lineage is in the restored table; its signals are sent again.</summary>
    void Resend(string containerId, long offset, in Source source)
    {
        var slot = LineageOf(containerId).Journal.IndexOf(offset);
        if (slot < 0 || _store.Get(JournalKey(containerId, slot)) is not { } entry)
        {
            return; // folded into the checkpoint already: its signals went out long before the commit that preceded the crash
        }

        var (_, _, signals) = DecodeJournal(entry);
        foreach (var signal in signals)
        {
            var decoded = codecs.Signals.Deserialize(signal);
            output.Send(decoded.Container.ProfileKey?.ToString() ?? decoded.Container.Id, PipelineTopics.Signals.Name, signal, source);
        }
    }

    /// <summary>
    /// Once, before the first record: each container's checkpoint, then its journal replayed in offset order. Not in
    /// <see cref="Init"/>: Streamiz initialises processors before it restores their stores.
    /// </summary>
    void Restore()
    {
        if (_restored)
        {
            return;
        }

        _restored = true;
        var journal = new List<(long Offset, string ContainerId, int Slot, byte[] Value)>();
        var outbox = new List<KeyValuePair<string, byte[]>>();
        foreach (var (key, value) in _store.All())
        {
            if (_outbox.Owns(key))
            {
                outbox.Add(new(key, value));
            }
            else if (key.StartsWith("c|", StringComparison.Ordinal))
            {
                var containerId = key[2..];
                using var reader = new BinaryReader(new MemoryStream(value), Encoding.UTF8);
                var lineage = LineageOf(containerId);
                lineage.CheckpointOffset = reader.ReadInt64();
                lineage.LastOffset = Math.Max(lineage.LastOffset, lineage.CheckpointOffset);
                if (reader.ReadBoolean())
                {
                    _engine.RestoreLineage(containerId, LineageEncoding.Read(reader));
                }
                else
                {
                    lineage.ExitedWallMs = _context.WallClockTime;
                }
            }
            else if (key.StartsWith("j|", StringComparison.Ordinal))
            {
                var split = key.LastIndexOf('|');
                var slot = int.Parse(key.AsSpan(split + 1), NumberStyles.None, CultureInfo.InvariantCulture);
                journal.Add((DecodeJournal(value).Offset, key[2..split], slot, value));
            }
        }

        foreach (var (offset, containerId, slot, value) in journal.OrderBy(j => j.Offset))
        {
            var lineage = LineageOf(containerId);
            lineage.SlotsUsed = Math.Max(lineage.SlotsUsed, slot + 1);
            if (offset <= lineage.CheckpointOffset)
            {
                continue; // a slot from before the checkpoint, not yet overwritten
            }

            lineage.Journal.Add(offset);
            lineage.LastOffset = Math.Max(lineage.LastOffset, offset);
            var (_, events, _) = DecodeJournal(value);
            _engine.ReplayLineage(codecs.Batches.Deserialize(events));
        }

        // What the crashed run sent may not have been delivered: sent again (signal ids collapse downstream).
        output.Resend(_outbox.Restore(outbox));
    }

    /// <summary>An exited container's checkpoint (its last offset) goes an hour after the exit: no redelivery comes that late.</summary>
    void ForgetExited(long nowMs)
    {
        foreach (var (id, lineage) in _lineages.Where(l => l.Value.ExitedWallMs is { } exited && nowMs - exited >= 3_600_000).ToList())
        {
            _store.Delete(CheckpointKey(id));
            for (var slot = 0; slot < lineage.SlotsUsed; slot++)
            {
                _store.Delete(JournalKey(id, slot));
            }

            _lineages.Remove(id);
        }
    }

    static (long Offset, byte[] Events, List<byte[]> Signals) DecodeJournal(byte[] value)
    {
        using var reader = new BinaryReader(new MemoryStream(value), Encoding.UTF8);
        var offset = reader.ReadInt64();
        var events = reader.ReadBytes(reader.ReadInt32());
        var signals = new List<byte[]>();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            signals.Add(reader.ReadBytes(reader.ReadInt32()));
        }

        return (offset, events, signals);
    }

    static string CheckpointKey(string containerId) => $"c|{containerId}";

    static string JournalKey(string containerId, int slot) =>
        string.Create(CultureInfo.InvariantCulture, $"j|{containerId}|{slot:D2}");

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

    /// <summary>What this task keeps about a container's lineage beyond the engine: its journal and last applied offset.</summary>
    sealed class Lineage
    {
        public long LastOffset { get; set; } = -1;
        /// <summary>Offset the stored checkpoint covers; journal slots at or below it are stale.</summary>
        public long CheckpointOffset { get; set; } = -1;
        /// <summary>Offsets of the journal entries since the checkpoint, by slot.</summary>
        public List<long> Journal { get; } = [];
        /// <summary>Slots ever written (deleted when the container is forgotten).</summary>
        public int SlotsUsed { get; set; }
        /// <summary>Wall clock (ms) when the container's exit was folded; null while it runs.</summary>
        public long? ExitedWallMs { get; set; }
    }
}
