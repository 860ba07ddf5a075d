using System.Globalization;
using WorkloadProfiles.Explorer.Api;
using WorkloadProfiles.Explorer.Data;

namespace WorkloadProfiles.Explorer.Profiles;

/// <summary>
/// The profile page's charts from warehouse rows: learning progress toward Stable, a profile's life in time buckets
/// (snapshots, containers, new behaviours, signals), the spread of node commonality, and the events of its timeline.
/// </summary>
internal static class ProfileActivity
{
    private const long Second = 1_000_000;
    private const long Hour = 3600 * Second;

    /// <summary>Bucket widths the charts use: the smallest that keeps a profile's life within <see cref="MaxBuckets"/> buckets.</summary>
    private static readonly long[] Widths = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000];

    public const int MaxBuckets = 60;

    public static LearningProgressView Learning(ProfileRow p, PipelinePolicy policy, DateTimeOffset now)
    {
        var first = Time.FromMicros(p.FirstProcessedUs);
        var stableSince = Time.FromMicros(p.StableSinceUs);
        var end = stableSince ?? now;
        var hours = Math.Max(0, (end - first).TotalHours);
        var effectiveHours = policy.EffectiveStableAfterHours;
        string? stableBy = stableSince is null ? null : p.SnapshotCount >= (ulong)policy.StableSnapshotCount ? "snapshots" : "time";
        return new LearningProgressView(
            p.Status, p.SnapshotCount, policy.StableSnapshotCount, first, hours, effectiveHours, policy.TimeScale, stableSince, stableBy,
            stableSince is null ? first.AddHours(effectiveHours) : null);
    }

    /// <summary>The bucket grid over [<paramref name="fromUs"/>, <paramref name="toUs"/>]: aligned start, width, count.</summary>
    public static (long StartUs, long WidthUs, int Count) Grid(long fromUs, long toUs)
    {
        if (toUs < fromUs) (fromUs, toUs) = (toUs, fromUs);
        foreach (var seconds in Widths)
        {
            var width = seconds * Second;
            var start = FloorTo(fromUs, width);
            var count = (int)((toUs - start) / width) + 1;
            if (count <= MaxBuckets || seconds == Widths[^1]) return (start, width, Math.Min(count, MaxBuckets));
        }
        throw new InvalidOperationException("unreachable");
    }

    public static IReadOnlyList<ActivityBucketView> Buckets(
        (long StartUs, long WidthUs, int Count) grid, IReadOnlyList<SnapshotPointRow> snapshots, IReadOnlyList<NodePointRow> nodes,
        IReadOnlyList<BucketCountRow> signals)
    {
        var (start, width, count) = grid;
        var snapshotCounts = new ulong[count];
        var containers = new HashSet<string>[count];
        var firstBucketOfContainer = new Dictionary<string, int>(StringComparer.Ordinal);
        var fresh = new ulong[count, 4];
        var signalCounts = new ulong[count];
        int Index(long us) => (int)Math.Clamp((us - start) / width, 0, count - 1);

        foreach (var s in snapshots)
        {
            var i = Index(s.WindowStartUs);
            snapshotCounts[i]++;
            (containers[i] ??= new HashSet<string>(StringComparer.Ordinal)).Add(s.ContainerId);
            if (!firstBucketOfContainer.TryGetValue(s.ContainerId, out var known) || i < known) firstBucketOfContainer[s.ContainerId] = i;
        }
        foreach (var n in nodes) fresh[Index(n.SeenUs), KindIndex(n.NodeKind)]++;
        foreach (var s in signals) signalCounts[(int)Math.Clamp(s.Bucket, 0, count - 1)] += s.Total;
        var newContainers = new ulong[count];
        foreach (var i in firstBucketOfContainer.Values) newContainers[i]++;

        var buckets = new List<ActivityBucketView>(count);
        ulong snapshotsTotal = 0, containersTotal = 0;
        for (var i = 0; i < count; i++)
        {
            snapshotsTotal += snapshotCounts[i];
            containersTotal += newContainers[i];
            buckets.Add(new ActivityBucketView(
                Time.FromMicros(start + i * width), snapshotCounts[i], snapshotsTotal, (ulong)(containers[i]?.Count ?? 0), containersTotal,
                new KindCounts(fresh[i, 0], fresh[i, 1], fresh[i, 2], fresh[i, 3]), signalCounts[i]));
        }
        return buckets;
    }

    public static IReadOnlyList<CommonalityBucketView> Histogram(IReadOnlyList<CommonalityCountRow> rows)
    {
        var counts = new ulong[10, 4];
        foreach (var r in rows) counts[Math.Min((int)r.Decile, 9), KindIndex(r.NodeKind)] += r.Nodes;
        return Enumerable.Range(0, 10)
            .Select(d => new CommonalityBucketView(d / 10.0, (d + 1) / 10.0, new KindCounts(counts[d, 0], counts[d, 1], counts[d, 2], counts[d, 3])))
            .ToList();
    }

    public static IReadOnlyList<TimelineEventView> Events(
        ProfileRow p, LearningProgressView learning, IReadOnlyList<SnapshotPointRow> snapshots, SignalSpanRow signals)
    {
        var events = new List<TimelineEventView>
        {
            new(learning.FirstProcessed, "learning", "First snapshot processed: the profile starts learning"),
        };
        if (snapshots.Count > 0)
        {
            events.Add(new(Time.FromMicros(snapshots[0].WindowStartUs), "snapshot", "Earliest activity window merged"));
            events.Add(new(Time.FromMicros(snapshots[^1].WindowStartUs), "snapshot", "Latest activity window merged"));
        }
        if (learning.StableSince is { } stable)
        {
            var why = learning.StableBy == "snapshots"
                ? $"after {learning.StableSnapshotCount} snapshots"
                : string.Create(CultureInfo.InvariantCulture, $"{learning.StableAfterHours:0.##} h after the first snapshot");
            events.Add(new(stable, "stable", $"Stable {why}: no more activity is merged"));
        }
        if (signals.Signals > 0)
        {
            events.Add(new(Time.FromMicros(signals.FirstUs), "signal", "First signal of this version"));
            if (signals.Signals > 1) events.Add(new(Time.FromMicros(signals.LastUs), "signal", $"Latest signal ({signals.Signals} in all)"));
        }
        if (p.LastUpdatedUs > 0) events.Add(new(Time.FromMicros(p.LastUpdatedUs), "update", $"Last update (revision {p.Revision})"));
        return events.OrderBy(e => e.Time).ToList();
    }

    /// <summary>The time span the buckets must cover.</summary>
    public static (long FromUs, long ToUs) Span(ProfileRow p, IReadOnlyList<SnapshotPointRow> snapshots, IReadOnlyList<NodePointRow> nodes, SignalSpanRow signals)
    {
        var times = new List<long> { p.FirstProcessedUs, p.LastUpdatedUs };
        if (p.StableSinceUs is { } stable) times.Add(stable);
        if (snapshots.Count > 0) times.AddRange([snapshots[0].WindowStartUs, snapshots[^1].WindowStartUs]);
        if (nodes.Count > 0) times.AddRange([nodes.Min(n => n.SeenUs), nodes.Max(n => n.SeenUs)]);
        if (signals.Signals > 0) times.AddRange([signals.FirstUs, signals.LastUs]);
        times.RemoveAll(t => t <= 0);
        return times.Count == 0 ? (0, 0) : (times.Min(), times.Max());
    }

    private static int KindIndex(string kind) => kind switch
    {
        "process" => 0,
        "file" => 1,
        "dns" => 2,
        _ => 3,
    };

    private static long FloorTo(long us, long width) => us >= 0 ? us / width * width : ((us - width + 1) / width) * width;
}
