using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// What the snapshot and detection jobs refuse in a raw batch before using it, identically, so both jobs see the same
/// events: identity strings longer than any real one (they are copied into every snapshot, signal and state key), event
/// times <see cref="EventTimeLimits"/> does not believe, pids no kernel hands out, and events missing what their kind
/// needs (<see cref="SnapshotBuilder.Validate"/>).
/// </summary>
internal static class RawBatchCheck
{
    /// <summary>Longest container id (runtimes use 64 hex characters; a Kubernetes id adds a runtime prefix).</summary>
    public const int MaxContainerIdLength = 256;

    /// <summary>Longest image name or tag, and host name (DNS allows 253 characters; image references 255 per name).</summary>
    public const int MaxNameLength = 512;

    /// <summary>Linux's largest pid_max (2^22): a pid above it never came from a kernel.</summary>
    public const int MaxPid = 4_194_304;

    /// <summary>Why the batch's container or host cannot be used, or null.</summary>
    public static string? IdentityProblem(RawEventBatch batch) =>
        batch.Container.Id.Length is 0 or > MaxContainerIdLength ? $"container.id has {batch.Container.Id.Length} characters (1..{MaxContainerIdLength})"
        : batch.Container.ImageName?.Length > MaxNameLength ? $"container.image.name has {batch.Container.ImageName.Length} characters (at most {MaxNameLength})"
        : batch.Container.ImageTag?.Length > MaxNameLength ? $"container.image.tag has {batch.Container.ImageTag.Length} characters (at most {MaxNameLength})"
        : batch.HostName.Length > MaxNameLength ? $"host.name has {batch.HostName.Length} characters (at most {MaxNameLength})"
        : batch.AgentId.Length > MaxNameLength ? $"agent id has {batch.AgentId.Length} characters (at most {MaxNameLength})"
        : null;

    /// <summary>
    /// The batch's events the jobs can use (the same list when all are), and a description of the others.
    /// </summary>
    public static IReadOnlyList<RawEvent> UsableEvents(RawEventBatch batch, EventTimeLimits limits, long recordTimestampMs, long wallClockMs,
        out int refused, out string? firstProblem)
    {
        refused = 0;
        firstProblem = null;
        List<RawEvent>? kept = null;
        var events = batch.Events;
        // Per event only comparisons (this runs on every event, in two jobs); messages only for what is refused.
        var (minUs, maxUs) = limits.EventRange(recordTimestampMs, wallClockMs);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var usable = e.TimestampUs >= minUs && e.TimestampUs <= maxUs && (uint)e.Pid <= MaxPid && (uint)e.Ppid <= MaxPid
                && (uint)e.ChildPid <= MaxPid && SnapshotBuilder.Validate(e) is null;
            var problem = usable ? null
                : e.Pid > MaxPid || e.Ppid is < 0 or > MaxPid || e.ChildPid is < 0 or > MaxPid
                    ? $"pid {e.Pid}, ppid {e.Ppid} or child pid {e.ChildPid} outside 0..{MaxPid}"
                    : SnapshotBuilder.Validate(e) ?? limits.CheckEvent(e.TimestampUs, recordTimestampMs, wallClockMs);
            if (problem is null)
            {
                kept?.Add(events[i]);
                continue;
            }

            if (kept is null)
            {
                kept = new List<RawEvent>(events.Count);
                for (var j = 0; j < i; j++) kept.Add(events[j]);
            }

            refused++;
            firstProblem ??= $"{events[i].Kind} event of pid {events[i].Pid}: {problem}";
        }

        return kept ?? events;
    }
}
