using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>
/// What the snapshot and detection jobs refuse in a raw batch before using it, identically, so both jobs see the same
/// events: identity strings longer than any real one (they are copied into every snapshot, signal and state key), and
/// event times <see cref="EventTimeLimits"/> does not believe.
/// </summary>
internal static class RawBatchCheck
{
    /// <summary>Longest container id (runtimes use 64 hex characters; a Kubernetes id adds a runtime prefix).</summary>
    public const int MaxContainerIdLength = 256;

    /// <summary>Longest image name or tag, and host name (DNS allows 253 characters; image references 255 per name).</summary>
    public const int MaxNameLength = 512;

    /// <summary>Why the batch's container or host cannot be used, or null.</summary>
    public static string? IdentityProblem(RawEventBatch batch) =>
        batch.Container.Id.Length is 0 or > MaxContainerIdLength ? $"container.id has {batch.Container.Id.Length} characters (1..{MaxContainerIdLength})"
        : batch.Container.ImageName?.Length > MaxNameLength ? $"container.image.name has {batch.Container.ImageName.Length} characters (at most {MaxNameLength})"
        : batch.Container.ImageTag?.Length > MaxNameLength ? $"container.image.tag has {batch.Container.ImageTag.Length} characters (at most {MaxNameLength})"
        : batch.HostName.Length > MaxNameLength ? $"host.name has {batch.HostName.Length} characters (at most {MaxNameLength})"
        : batch.AgentId.Length > MaxNameLength ? $"agent id has {batch.AgentId.Length} characters (at most {MaxNameLength})"
        : null;

    /// <summary>
    /// The batch's events whose times are believable (the same list when all are), and a description of the others.
    /// </summary>
    public static IReadOnlyList<RawEvent> BelievableEvents(RawEventBatch batch, EventTimeLimits limits, long recordTimestampMs, long wallClockMs,
        out int refused, out string? firstProblem)
    {
        refused = 0;
        firstProblem = null;
        List<RawEvent>? kept = null;
        var events = batch.Events;
        for (var i = 0; i < events.Count; i++)
        {
            var problem = limits.CheckEvent(events[i].TimestampUs, recordTimestampMs, wallClockMs);
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
