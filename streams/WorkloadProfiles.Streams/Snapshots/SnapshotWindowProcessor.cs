using Confluent.Kafka;
using Streamiz.Kafka.Net.Processors.Public;
using Streamiz.Kafka.Net.State;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Streams.Drift;
using WorkloadProfiles.Streams.Plumbing;

namespace WorkloadProfiles.Streams.Snapshots;

/// <summary>
/// The snapshot job's processor: event-time tumbling windows per container over <c>wp.events.raw</c> batches, one final
/// <see cref="ActivitySnapshot"/> per container-window on <c>wp.snapshots</c>.
/// </summary>
/// <remarks>
/// Only batches of profiling sessions (<see cref="RawEventBatch.Profiling"/>) count in snapshots; the agent also publishes
/// every other container's activity for detection, and of those batches this job applies only the lineage events
/// (exec, fork, exit, container exit), so a container that gets a profiling slot later starts with its real process tree.
/// Work is per batch, not per event: a batch is decoded once, its events go straight into the in-memory
/// <see cref="SnapshotBuilder"/> of their window, and the batch's own bytes are journaled in the store (one put) so a
/// restart can rebuild the open windows. The container's process lineage outlives windows, so the store also keeps a
/// lineage base (the process table just before the journal's first batch) that the replay starts from. A window closes
/// when stream time (the highest event time seen by this task) passes its end plus grace, when the container's exit
/// event arrives, or when the container has been quiet for <see cref="SnapshotJobOptions.IdleClose"/> of wall-clock time.
/// </remarks>
internal sealed class SnapshotWindowProcessor
    : ITransformer<string, Decoded<RawEventBatch>, string, Outgoing>, ISkipsFailedRecords<string, Decoded<RawEventBatch>>
{
    public const string StoreName = "snapshot-windows";
    const string Job = "snapshots";

    readonly SnapshotJobOptions _options;
    readonly PipelineCodecs _codecs;
    readonly StreamsMetrics _metrics;
    readonly EventTimeLimits _times;
    readonly JobOutput _output;
    readonly DriftWatch? _drift;
    readonly StoreRestoration _restoration;
    readonly StoreCommits _commits;
    readonly long _windowUs;
    readonly long _graceUs;
    readonly Dictionary<string, ContainerActivity> _containers = new(StringComparer.Ordinal);
    readonly SortedSet<(long CloseAtUs, string ContainerId, long WindowStartUs)> _closeQueue = [];
    // Shared by every window of the task: the containers of an image share their leaves' keys and ids.
    readonly LeafIdentities _leaves;
    ProcessorContext<string, Outgoing> _context = null!;
    IKeyValueStore<string, byte[]> _store = null!;
    long _streamTimeUs = long.MinValue;
    int _held;
    bool _recovered;
    // Whether the task's store has been restored since the processor was created: a punctuation recovers only then.
    StoreRestoration.Watch _restore = null!;
    Outbox _outbox = null!;

    public SnapshotWindowProcessor(SnapshotJobOptions options, PipelineCodecs codecs, StreamsMetrics metrics, EventTimeLimits times, JobOutput output,
        StoreRestoration restoration, StoreCommits commits, DriftWatch? drift = null)
    {
        if (options.Window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Window, "The snapshot window must be positive.");
        }

        _options = options;
        _codecs = codecs;
        _metrics = metrics;
        _times = times;
        _output = output;
        _drift = drift;
        _restoration = restoration;
        _commits = commits;
        _windowUs = (long)options.Window.TotalMicroseconds;
        _graceUs = Math.Max(0, (long)options.Grace.TotalMicroseconds);
        _leaves = new LeafIdentities(options.Limits.MaxKeyLength);
    }

    /// <summary>The task store: in memory, changelog-backed, its commits counted for the outbox.</summary>
    public static IStoreBuilder StoreBuilder(StoreCommits commits) =>
        Stores.KeyValueStoreBuilder(commits.Supplier(StoreName), new Streamiz.Kafka.Net.SerDes.StringSerDes(),
            new Streamiz.Kafka.Net.SerDes.ByteArraySerDes());

    public void Init(ProcessorContext<string, Outgoing> context)
    {
        _context = context;
        _output.Init(context);
        _store = (IKeyValueStore<string, byte[]>)context.GetStateStore(StoreName);
        _restore = _restoration.WatchFrom(StoreName, context.Id.Partition);
        var partition = context.Id.Partition;
        // Every output is kept until a commit has delivered it: a crash may leave a window's close in the changelog without
        // its snapshot, and the redelivered batches are then skipped (see Outbox).
        _outbox = _output.KeepIn(_store, SnapshotStateKeys.OutboxPrefix, () => _commits.Count(StoreName, partition));
        _drift?.Init(_output, _store);
        context.Schedule(_options.PunctuationInterval, PunctuationType.PROCESSING_TIME, _output.Guard(OnWallClock));
    }

    public Record<string, Outgoing> Process(Record<string, Decoded<RawEventBatch>> record)
    {
        Recover();
        _outbox.Confirm();
        _metrics.RecordsIn.WithLabels(Job).Inc();
        var decoded = record.Value;
        var source = new Source(record.TopicPartitionOffset, record.Key, decoded.Raw);
        if (decoded.IsFailure || decoded.Value is null)
        {
            _output.DeadLetter(source, decoded.FailureReason ?? "empty-record", decoded.FailureDetail ?? "A raw event record without a value.");
            return null!;
        }

        // Journaled and held batches go to the store's changelog: one too large to write there is refused up front.
        if (_output.RefuseOversized(source))
        {
            return null!;
        }

        var batch = decoded.Value;
        if (RawBatchCheck.IdentityProblem(batch) is { } identity)
        {
            _output.DeadLetter(source, ContractErrorReasons.InvalidValue, identity);
            return null!;
        }

        // An event time the job cannot believe never reaches a window, so it never moves stream time; the batch is
        // journaled (or held) without it, so a replay after a restart sees exactly the events the first run used.
        var raw = decoded.Raw!;
        var usable = RawBatchCheck.UsableEvents(batch, _times, record.Timestamp.UnixTimestampMs, _context.WallClockTime,
            out var refused, out var problem);
        if (refused > 0)
        {
            _output.DeadLetter(source, ContractErrorReasons.InvalidValue,
                $"{refused} of {batch.Events.Count} events cannot be used, e.g. {problem}; the rest were used");
            batch = batch with { Events = usable };
            raw = _codecs.Batches.Serialize(batch);
        }

        _metrics.EventsIn.WithLabels(Job).Inc(batch.Events.Count);
        var offset = record.TopicPartitionOffset.Offset.Value;
        var container = Activity(batch.Container.Id);
        if (offset <= container.LastOffset)
        {
            // Redelivered after a restart: the store already holds its effect (journal, held or closed window).
            _metrics.ReplayedBatches.Inc();
            return null!;
        }

        container.LastOffset = offset;
        container.LastSeenWallMs = _context.WallClockTime;

        if (container.Container is null && batch.Profiling)
        {
            if (!batch.Container.HasImage)
            {
                Hold(container, offset, raw, batch);
                return null!;
            }

            Resolve(container, batch, offset, raw, record.TopicPartitionOffset, record.Key);
        }
        else
        {
            Apply(container, batch, offset, raw, record.TopicPartitionOffset, record.Key, replaying: false);
        }

        CloseDue();
        return null!;
    }

    public void Skip(Record<string, Decoded<RawEventBatch>> record, Exception exception) =>
        _output.Failed(new Source(record.TopicPartitionOffset, record.Key, record.Value.Raw), exception);

    public void Close()
    {
    }

    ContainerActivity Activity(string containerId)
    {
        if (!_containers.TryGetValue(containerId, out var container))
        {
            container = new ContainerActivity(containerId)
            {
                Processes = new ProcessTable(_options.Limits.MaxKeyLength),
                LastSeenWallMs = _context.WallClockTime,
            };
            _containers.Add(containerId, container);
        }

        return container;
    }

    void Hold(ContainerActivity container, long offset, byte[] raw, RawEventBatch batch)
    {
        var now = _context.WallClockTime;
        container.Held.Add(new HeldBatch(offset, now, raw, batch));
        _store.Put(SnapshotStateKeys.HeldKey(container.ContainerId, offset), SnapshotStateKeys.EncodeHeld(now, raw));
        _metrics.HeldBatches.Set(++_held);
    }

    /// <summary>
    /// The first batch carrying the image resolves the container: the batches held for it are applied first, in order,
    /// then the batch itself, then its meta is stored, and only then do the held entries go. A crash cuts the changelog
    /// anywhere; before the resolving batch's journal entry the held ones are still the truth (a restart drops the
    /// journal entries of a container it cannot resolve), after it the journal is (a restart drops the held entries of
    /// a resolved container); see <see cref="Recover"/>.
    /// </summary>
    void Resolve(ContainerActivity container, RawEventBatch batch, long offset, byte[] raw, TopicPartitionOffset source, string key)
    {
        container.Container = batch.Container;
        container.HostName = batch.HostName;
        foreach (var held in container.Held)
        {
            Apply(container, held.Batch, held.Offset, held.Raw,
                new TopicPartitionOffset(PipelineTopics.RawEvents.Name, _context.Id.Partition, held.Offset), container.ContainerId,
                replaying: false);
        }

        Apply(container, batch, offset, raw, source, key, replaying: false);
        PersistMeta(container);
        foreach (var held in container.Held)
        {
            _store.Delete(SnapshotStateKeys.HeldKey(container.ContainerId, held.Offset));
        }

        _held -= container.Held.Count;
        _metrics.HeldBatches.Set(_held);
        container.Held.Clear();
    }

    /// <summary>Adds a batch's events to their windows, journals the batch, dead-letters it if some events were late.</summary>
    /// <param name="replaying">Rebuilding state after a restart: the batch is not journaled or dead-lettered again, and
    /// only its container's exit closes windows (the close had not reached the store, or the batch would be trimmed).</param>
    /// <param name="lateRule">Apply the stream-time lateness rule. A replay applies it too, from the stream time the batch
    /// was first applied at (kept with it in the journal), so an event late then is late again, not counted after all.</param>
    void Apply(ContainerActivity container, RawEventBatch batch, long offset, byte[] raw, TopicPartitionOffset source,
        string key, bool replaying, bool lateRule = true)
    {
        var streamTimeBefore = _streamTimeUs;
        if (!batch.Profiling)
        {
            ApplyLineage(container, batch, offset, raw, streamTimeBefore, replaying);
            return;
        }

        var nodesBefore = container.Processes.NodeCount;
        var late = 0;
        var lineage = false;
        var lastWindow = long.MinValue;
        var exitWindow = long.MinValue;
        SnapshotBuilder? builder = null;
        var builderWindow = long.MinValue;
        var events = batch.Events;
        var drift = DriftScope(container, batch, replaying);
        CheckpointLineage(container, events, offset);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            lineage |= e.Kind is EventKind.Exec or EventKind.Fork or EventKind.Exit;
            var windowStart = WindowStart(e.TimestampUs);
            if (windowStart != builderWindow)
            {
                if (windowStart < container.ClosedUpToUs || (lateRule && windowStart + _windowUs + _graceUs <= _streamTimeUs
                        && !container.Windows.ContainsKey(windowStart)))
                {
                    // Too late to count, but the process still exec'd, forked or exited: lineage is about the live
                    // container, not about a window.
                    container.Processes.Apply(e);
                    Drift(container, drift, e, offset);

                    builderWindow = long.MinValue;
                    late++;
                    continue;
                }

                builder = Window(container, windowStart);
                builderWindow = windowStart;
            }

            builder!.Add(e);
            Drift(container, drift, e, offset);

            lastWindow = Math.Max(lastWindow, windowStart);
            if (e.TimestampUs > _streamTimeUs)
            {
                _streamTimeUs = e.TimestampUs;
            }

            if (e.Kind == EventKind.ContainerExit)
            {
                exitWindow = windowStart;
            }
        }

        if (builder is not null && batch.DroppedEvents > 0)
        {
            builder.AddDropped(batch.DroppedEvents);
        }

        if (container.Processes.NodeCount > nodesBefore)
        {
            container.ProcessBytes += LineageBytes(events);
        }

        BoundLineage(container, replaying);

        if (lastWindow != long.MinValue || lineage)
        {
            container.Journal.Add((offset, lastWindow));
            if (!replaying)
            {
                _store.Put(SnapshotStateKeys.JournalKey(container.ContainerId, offset), SnapshotStateKeys.EncodeJournal(streamTimeBefore, raw));
            }
        }

        if (late > 0 && !replaying)
        {
            _metrics.LateEvents.Inc(late);
            _output.DeadLetter(new Source(source, key, raw), "late-events",
                $"{late} of {events.Count} events fall in windows of container {container.ContainerId} that already closed " +
                "(stream time minus grace passed their end); the rest of the batch was applied.");
        }

        // Also in a replay: a journaled exit whose close is not in the store came just before the crash; it closes now.
        if (exitWindow != long.MinValue)
        {
            CloseThrough(container, exitWindow, "container-exit");
            if (container.Journal.Count == 0)
            {
                // The container's processes are gone; a reused id starts a fresh lineage.
                container.Processes = new ProcessTable(_options.Limits.MaxKeyLength);
                container.ProcessBytes = 0;
                RebaseLineage(container);
                PersistMeta(container);
            }
        }
    }

    /// <summary>
    /// A detection-only batch (the container holds no profiling slot): its lineage events move the container's processes,
    /// and it is journaled so a restart replays them; nothing is counted in a snapshot. A container exit closes what is
    /// open (windows from an earlier profiling session) and ends the lineage.
    /// </summary>
    void ApplyLineage(ContainerActivity container, RawEventBatch batch, long offset, byte[] raw, long streamTimeBefore, bool replaying)
    {
        var nodesBefore = container.Processes.NodeCount;
        var lineage = false;
        var exitWindow = long.MinValue;
        var drift = DriftScope(container, batch, replaying);
        foreach (var e in batch.Events)
        {
            switch (e.Kind)
            {
                case EventKind.Exec or EventKind.Fork or EventKind.Exit when SnapshotBuilder.Validate(e) is null:
                    container.Processes.Apply(e);
                    lineage = true;
                    break;
                case EventKind.ContainerExit:
                    exitWindow = Math.Max(exitWindow, WindowStart(e.TimestampUs));
                    break;
            }

            Drift(container, drift, e, offset);
        }

        if (container.Processes.NodeCount > nodesBefore)
        {
            container.ProcessBytes += LineageBytes(batch.Events);
        }

        BoundLineage(container, replaying);
        if (!replaying)
        {
            _metrics.DetectionOnlyBatches.Inc();
        }

        if (lineage)
        {
            container.Journal.Add((offset, long.MinValue));
            if (!replaying)
            {
                _store.Put(SnapshotStateKeys.JournalKey(container.ContainerId, offset), SnapshotStateKeys.EncodeJournal(streamTimeBefore, raw));
            }
        }

        if (exitWindow != long.MinValue)
        {
            if (container.Windows.Count > 0)
            {
                CloseThrough(container, long.MaxValue, "container-exit");
            }

            container.Processes = new ProcessTable(_options.Limits.MaxKeyLength);
            container.ProcessBytes = 0;
            TrimJournal(container);
        }
    }

    /// <summary>What the batch's events are judged against for drift (once per batch), or null when nothing is.</summary>
    DriftWatch.Scope? DriftScope(ContainerActivity container, RawEventBatch batch, bool replaying)
    {
        if (_drift is null || replaying)
        {
            return null;
        }

        var resolved = container.Container is not null;
        return _drift.ScopeFor(container.ContainerId, resolved ? container.Container! : batch.Container, resolved ? container.HostName : batch.HostName);
    }

    /// <summary>Drift is judged on every event of every container (profiling or not), once its lineage moved.</summary>
    void Drift(ContainerActivity container, in DriftWatch.Scope? scope, RawEvent e, long offset)
    {
        if (scope is { } watched)
        {
            _drift!.Inspect(watched, e, container.Processes, _context.Id.Partition, offset);
        }
    }

    /// <summary>
    /// Keeps a container's process table within <see cref="SnapshotJobOptions.MaxProcessNodes"/> and half a record in bytes
    /// (its checkpoint travels in the container's meta record). Past either, the table forgets in place what no live
    /// process can reach (invisible to the open windows, which share it), or — when even the live lineage is too large —
    /// everything, which costs the lineage of processes started before (counted). It runs identically when a restart
    /// replays the journal: the trigger depends only on the table and the batches, so the replay trims where the first
    /// run did.
    /// </summary>
    void BoundLineage(ContainerActivity container, bool replaying)
    {
        var maxBytes = _output.Limits.MaxValueBytes / 2;
        if (container.Processes.NodeCount <= _options.MaxProcessNodes && container.ProcessBytes <= maxBytes)
        {
            return;
        }

        var reset = container.Processes.Trim(_options.MaxProcessNodes / 2);
        container.ProcessBytes = LineageBytes(container.Processes.Export());
        if (!reset && container.ProcessBytes > maxBytes / 2)
        {
            reset = container.Processes.Trim(0);
            container.ProcessBytes = 0;
        }

        if (!replaying)
        {
            _metrics.ProcessTableTrims.WithLabels(reset ? "reset" : "compacted").Inc();
        }
    }

    /// <summary>Upper bound of what the exec events' processes add to a process table and to its encoded checkpoint.</summary>
    static long LineageBytes(IReadOnlyList<RawEvent> events)
    {
        long bytes = 0;
        foreach (var e in events)
        {
            if (e.Kind == EventKind.Exec)
            {
                bytes += ProcessBytes(e.ExecutablePath ?? e.Comm, e.Args);
            }
        }

        return bytes;
    }

    static long LineageBytes(ProcessTableState table)
    {
        long bytes = 12L * table.Pids.Count;
        foreach (var node in table.Nodes)
        {
            bytes += ProcessBytes(node.Key, null);
        }

        foreach (var image in table.Images)
        {
            bytes += ProcessBytes(image.ExecutablePath, image.Args) + 3L * (image.WorkingDirectory?.Length ?? 0);
        }

        return bytes;
    }

    static long ProcessBytes(string path, IReadOnlyList<string>? args)
    {
        long chars = path.Length;
        var count = args?.Count ?? 0;
        for (var i = 0; i < count; i++)
        {
            chars += args![i].Length;
        }

        return 64 + 3 * chars + 5L * count;
    }

    /// <summary>
    /// Before a batch that opens a new latest window, remembers the process table: once the windows before it close,
    /// that checkpoint becomes the base a restart replays the journal from (see <see cref="TrimJournal"/>).
    /// </summary>
    void CheckpointLineage(ContainerActivity container, IReadOnlyList<RawEvent> events, long offset)
    {
        if (events.Count == 0 || container.Lineage[^1].Offset >= offset)
        {
            return;
        }

        var latest = long.MinValue;
        for (var i = 0; i < events.Count; i++)
        {
            latest = Math.Max(latest, events[i].TimestampUs);
        }

        if (container.Windows.Count == 0 || WindowStart(latest) > container.Windows.Keys.Last())
        {
            var checkpoint = container.Processes.Export();
            container.Lineage.Add((offset, checkpoint));
            // The size estimate restarts from the exact size at every checkpoint, so a replay from one estimates alike.
            container.ProcessBytes = LineageBytes(checkpoint);
        }
    }

    /// <summary>
    /// Drops the journal's prefix no open window needs: the new base is the latest lineage checkpoint at or before the
    /// first batch that still feeds an open window, and every batch from it on stays, so a replay from the base applies
    /// the same lineage events in the same order as the first run. The meta (the new base, the closed watermark) is
    /// stored before the entries are deleted: a changelog cut between them restores the new base with entries it already
    /// holds (dropped on restore), never the old base without the entries it needs.
    /// </summary>
    void TrimJournal(ContainerActivity container)
    {
        var needed = container.Windows.Count == 0 ? -1 : container.Journal.FindIndex(entry => entry.LastWindowStartUs >= container.ClosedUpToUs);
        if (needed < 0)
        {
            // No open window: the live table is the whole lineage.
            RebaseLineage(container);
        }
        else
        {
            var keepFrom = container.Journal[needed].Offset;
            container.Lineage.RemoveRange(0, container.Lineage.FindLastIndex(checkpoint => checkpoint.Offset <= keepFrom));
        }

        PersistMeta(container);
        var baseOffset = container.Lineage[0].Offset;
        var drop = container.Journal.FindIndex(entry => entry.Offset >= baseOffset);
        drop = drop < 0 ? container.Journal.Count : drop;
        for (var i = 0; i < drop; i++)
        {
            _store.Delete(SnapshotStateKeys.JournalKey(container.ContainerId, container.Journal[i].Offset));
        }

        container.Journal.RemoveRange(0, drop);
    }

    /// <summary>The live table becomes the base: nothing before the next batch needs replaying.</summary>
    static void RebaseLineage(ContainerActivity container)
    {
        container.Lineage.Clear();
        var table = container.Processes.Export();
        container.Lineage.Add((container.LastOffset + 1, table));
        container.ProcessBytes = LineageBytes(table);
    }

    SnapshotBuilder Window(ContainerActivity container, long windowStart)
    {
        if (!container.Windows.TryGetValue(windowStart, out var builder))
        {
            builder = new SnapshotBuilder(container.Container!, container.HostName, windowStart, windowStart + _windowUs,
                _options.Limits, container.Processes, _leaves);
            container.Windows.Add(windowStart, builder);
            _closeQueue.Add((windowStart + _windowUs + _graceUs, container.ContainerId, windowStart));
        }

        return builder;
    }

    long WindowStart(long timestampUs) => timestampUs - (((timestampUs % _windowUs) + _windowUs) % _windowUs);

    /// <summary>Closes every window whose end plus grace stream time has passed, oldest first.</summary>
    void CloseDue()
    {
        while (_closeQueue.Count > 0)
        {
            var due = _closeQueue.Min;
            if (due.CloseAtUs > _streamTimeUs)
            {
                return;
            }

            var container = _containers[due.ContainerId];
            CloseThrough(container, due.WindowStartUs, "stream-time");
        }
    }

    /// <summary>Closes the container's open windows up to and including <paramref name="lastWindowStart"/>.</summary>
    void CloseThrough(ContainerActivity container, long lastWindowStart, string cause)
    {
        while (container.Windows.Count > 0)
        {
            var (start, builder) = container.Windows.First();
            if (start > lastWindowStart)
            {
                break;
            }

            container.Windows.Remove(start);
            _closeQueue.Remove((start + _windowUs + _graceUs, container.ContainerId, start));
            var byExit = cause == "container-exit" && start == lastWindowStart;
            Emit(container, builder.Build(closedByExit: byExit));
            container.ClosedUpToUs = Math.Max(container.ClosedUpToUs, start + _windowUs);
            _metrics.WindowCloses.WithLabels(cause).Inc();
        }

        TrimJournal(container);
    }

    /// <summary>A snapshot that cannot be written (a bug: its builder bounds it) dead-letters the container's last batch.</summary>
    void Emit(ContainerActivity container, ActivitySnapshot snapshot)
    {
        var key = container.Container!.ProfileKey!.Value.ToString();
        _output.Send(key, PipelineTopics.Snapshots.Name, _codecs.Snapshots, snapshot,
            Source.At(PipelineTopics.RawEvents.Name, _context.Id.Partition, container.LastOffset, container.ContainerId));
    }

    void PersistMeta(ContainerActivity container) =>
        _store.Put(SnapshotStateKeys.MetaKey(container.ContainerId),
            new ContainerMeta(container.Container, container.HostName, container.ClosedUpToUs, container.LastOffset,
                container.Lineage[0].Offset, container.Lineage[0].Table, _streamTimeUs).Encode());

    void OnWallClock(long nowMs)
    {
        if (!_recovered && !_restore.Restored)
        {
            // Streamiz punctuates while it still restores the store (see StoreRestoration): recovering from it now would
            // rebuild the windows and lineage from a prefix of the changelog (after a crash, often nothing) and keep them.
            return;
        }

        Recover();
        _outbox.Confirm();
        _metrics.Punctuations.WithLabels(Job).Inc();
        var holdMs = (long)_options.ImageHold.TotalMilliseconds;
        var idleMs = (long)_options.EffectiveIdleClose.TotalMilliseconds;
        List<string>? forgotten = null;
        foreach (var container in _containers.Values)
        {
            ExpireHeld(container, nowMs, holdMs);
            if (container.Windows.Count > 0 && nowMs - container.LastSeenWallMs >= idleMs)
            {
                CloseThrough(container, long.MaxValue, "idle");
            }
            else if (container.Windows.Count == 0 && container.Journal.Count > 0)
            {
                // Only detection-only batches since the last close: the live table becomes the base (one put per
                // punctuation instead of one per batch).
                TrimJournal(container);
            }

            // A container long gone costs memory and a store entry; a redelivery this late cannot happen.
            if (container.IsIdle && nowMs - container.LastSeenWallMs >= 2 * idleMs)
            {
                (forgotten ??= []).Add(container.ContainerId);
            }
        }

        foreach (var id in forgotten ?? [])
        {
            _containers.Remove(id);
            _store.Delete(SnapshotStateKeys.MetaKey(id));
            _drift?.Forget(id);
        }
    }

    void ExpireHeld(ContainerActivity container, long nowMs, long holdMs)
    {
        if (container.Held.Count == 0 || nowMs - container.Held[0].ReceivedWallMs < holdMs)
        {
            return;
        }

        var expired = container.Held.TakeWhile(h => nowMs - h.ReceivedWallMs >= holdMs).ToList();
        foreach (var held in expired)
        {
            // The letter (kept in the outbox) before the delete: a changelog cut between them keeps the batch held.
            _output.DeadLetter(new Source(new TopicPartitionOffset(PipelineTopics.RawEvents.Name, _context.Id.Partition, held.Offset),
                container.ContainerId, held.Raw), "image-unresolved",
                $"No batch of container {container.ContainerId} carried its image within {_options.ImageHold}.");
            _store.Delete(SnapshotStateKeys.HeldKey(container.ContainerId, held.Offset));
        }

        container.Held.RemoveRange(0, expired.Count);
        _held -= expired.Count;
        _metrics.HeldBatches.Set(_held);
    }

    /// <summary>
    /// A container with journal entries but no stored meta resolved just before the crash (its meta follows the resolving
    /// batch's entry): its image is on the first journaled batch that carries one, and the held batches journaled before
    /// that one need it to replay.
    /// </summary>
    void ResolveFromJournal(List<(long Offset, string ContainerId, byte[] Value)> journal)
    {
        foreach (var (_, containerId, value) in journal)
        {
            var container = _containers[containerId];
            if (container.Container is not null)
            {
                continue;
            }

            var batch = _codecs.Batches.Deserialize(SnapshotStateKeys.DecodeJournal(value).Raw);
            if (batch.Container.HasImage)
            {
                container.Container = batch.Container;
                container.HostName = batch.HostName;
            }
        }
    }

    /// <summary>
    /// Once, before the first record or punctuation: rebuilds the in-memory windows from the restored store — container
    /// metadata first, then the journal replayed in input order (the order the batches were first applied), then the held
    /// batches. Not in <see cref="Init"/>: Streamiz initialises processors before it restores their stores, and punctuates
    /// them during the restore, so a punctuation recovers only once <see cref="StoreRestoration"/> says the restore ended.
    /// </summary>
    void Recover()
    {
        if (_recovered)
        {
            return;
        }

        _recovered = true;
        var journal = new List<(long Offset, string ContainerId, byte[] Value)>();
        var outbox = new List<KeyValuePair<string, byte[]>>();
        var streamTime = long.MinValue;
        foreach (var (key, value) in _store.All())
        {
            if (_outbox.Owns(key))
            {
                outbox.Add(new(key, value));
                continue;
            }

            if (!SnapshotStateKeys.TryParse(key, out var kind, out var containerId, out var offset))
            {
                continue;
            }

            if (kind == SnapshotStateKeys.Drift)
            {
                _drift?.Restore(containerId, value);
                continue;
            }

            var container = Activity(containerId);
            switch (kind)
            {
                case SnapshotStateKeys.Meta:
                    var meta = ContainerMeta.Decode(value);
                    container.Container = meta.Container;
                    container.HostName = meta.HostName;
                    container.ClosedUpToUs = meta.ClosedUpToUs;
                    container.LastOffset = Math.Max(container.LastOffset, meta.LastOffset);
                    container.Processes = ProcessTable.Restore(meta.Lineage, _options.Limits.MaxKeyLength);
                    container.ProcessBytes = LineageBytes(meta.Lineage);
                    container.Lineage.Clear();
                    container.Lineage.Add((meta.LineageOffset, meta.Lineage));
                    streamTime = Math.Max(streamTime, meta.StreamTimeUs);
                    break;
                case SnapshotStateKeys.Journal:
                    journal.Add((offset, containerId, value));
                    container.LastOffset = Math.Max(container.LastOffset, offset);
                    break;
                case SnapshotStateKeys.Held:
                    var (received, raw) = SnapshotStateKeys.DecodeHeld(value);
                    container.Held.Add(new HeldBatch(offset, received, raw, _codecs.Batches.Deserialize(raw)));
                    container.LastOffset = Math.Max(container.LastOffset, offset);
                    _held++;
                    break;
            }
        }

        // What the crashed run sent may not have been delivered: sent again (downstream, repeats collapse), before the replay
        // can add to the outbox.
        _output.Resend(_outbox.Restore(outbox));

        journal.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        ResolveFromJournal(journal);
        foreach (var (offset, containerId, value) in journal)
        {
            var container = _containers[containerId];
            if (offset < container.Lineage[0].Offset)
            {
                // Trimmed before the crash but the delete did not reach the changelog: the base already holds it.
                _store.Delete(SnapshotStateKeys.JournalKey(containerId, offset));
                continue;
            }

            var (appliedAt, raw) = SnapshotStateKeys.DecodeJournal(value);
            var batch = _codecs.Batches.Deserialize(raw);
            if (container.Container is null && batch.Profiling)
            {
                // A held batch journaled while its container resolved, the crash before the resolving batch's own entry:
                // it is still held (held entries go after), and the resolving batch comes again.
                _store.Delete(SnapshotStateKeys.JournalKey(containerId, offset));
                continue;
            }

            // Journal entries in offset order carry the stream time each batch was first applied at; entries written before
            // that was kept replay without the lateness rule, as they always did.
            _streamTimeUs = appliedAt ?? _streamTimeUs;
            Apply(container, batch, offset, raw, new TopicPartitionOffset(PipelineTopics.RawEvents.Name, _context.Id.Partition, offset),
                containerId, replaying: true, lateRule: appliedAt is not null);
            streamTime = Math.Max(streamTime, _streamTimeUs);
        }

        // Every batch that moved stream time is still journaled or was trimmed when a window closed, which stored it in a meta.
        _streamTimeUs = streamTime;

        foreach (var container in _containers.Values)
        {
            if (container.Container is not null && container.Held.Count > 0)
            {
                // Resolving applies every held batch: these were journaled before the crash, their deletes did not follow.
                foreach (var held in container.Held)
                {
                    _store.Delete(SnapshotStateKeys.HeldKey(container.ContainerId, held.Offset));
                }

                _held -= container.Held.Count;
                container.Held.Clear();
            }

            container.Held.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        }

        _metrics.HeldBatches.Set(_held);
        CloseDue();
    }
}
