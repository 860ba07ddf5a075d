using System.Globalization;
using WorkloadProfiles.ClickHouse;
using static WorkloadProfiles.ClickHouse.ClickHouseLiteral;

namespace WorkloadProfiles.Explorer.Data;

/// <summary>What the profile page plots: merged snapshots, when behaviours first appeared, node commonality, signals.</summary>
internal sealed class ProfileActivityReader(ClickHouseDatabase database)
{
    private const int MaxRows = 50_000;

    /// <summary>The snapshots merged into the latest revision of the profile (window and container only).</summary>
    public Task<IReadOnlyList<SnapshotPointRow>> MergedSnapshotsAsync(string image, string tag, CancellationToken cancellationToken)
    {
        var scope = Scope(image, tag);
        return database.QueryListAsync<SnapshotPointRow>(
            $"""
            SELECT window_start_us, container_id
            FROM snapshots_latest
            WHERE {scope}
              AND snapshot_id IN (SELECT arrayJoin(snapshot_ids) FROM profiles_latest WHERE {scope})
            ORDER BY window_start_us
            LIMIT {Number((long)MaxRows)}
            """, cancellationToken);
    }

    /// <summary>When each behaviour of the profile was first seen, by kind.</summary>
    public Task<IReadOnlyList<NodePointRow>> NodeFirstSeenAsync(string image, string tag, int limit, CancellationToken cancellationToken) =>
        database.QueryListAsync<NodePointRow>(
            $"""
            SELECT toString(kind) AS node_kind, first_seen_us AS seen_us
            FROM profile_nodes_latest
            WHERE {Scope(image, tag)}
            ORDER BY first_seen_us
            LIMIT {Number((long)limit)}
            """, cancellationToken);

    /// <summary>Nodes per kind and commonality decile (0 = [0, 10 %), …, 9 = [90 %, 100 %]).</summary>
    public Task<IReadOnlyList<CommonalityCountRow>> CommonalityHistogramAsync(string image, string tag, CancellationToken cancellationToken) =>
        database.QueryListAsync<CommonalityCountRow>(
            $"""
            SELECT toString(kind) AS node_kind, toUInt8(least(floor(commonality * 10 + 1e-9), 9)) AS decile, count() AS nodes
            FROM profile_nodes_latest
            WHERE {Scope(image, tag)}
            GROUP BY node_kind, decile
            """, cancellationToken);

    /// <summary>First and last signal time of the profile's image@version, and how many.</summary>
    public async Task<SignalSpanRow> SignalSpanAsync(string image, string tag, CancellationToken cancellationToken)
    {
        var rows = await database.QueryListAsync<SignalSpanRow>(
            $"SELECT count() AS signals, min(timestamp_us) AS first_us, max(timestamp_us) AS last_us FROM enriched_signals_latest WHERE {Scope(image, tag)}",
            cancellationToken);
        return rows.Count == 0 ? new SignalSpanRow(0, 0, 0) : rows[0];
    }

    /// <summary>Signals per bucket of <paramref name="bucketUs"/> microseconds from <paramref name="startUs"/>.</summary>
    public Task<IReadOnlyList<BucketCountRow>> SignalsPerBucketAsync(string image, string tag, long startUs, long bucketUs, CancellationToken cancellationToken) =>
        database.QueryListAsync<BucketCountRow>(
            $"""
            SELECT intDiv(timestamp_us - {Number(startUs)}, {Number(bucketUs)}) AS bucket, count() AS total
            FROM enriched_signals_latest
            WHERE {Scope(image, tag)} AND timestamp_us >= {Number(startUs)}
            GROUP BY bucket
            ORDER BY bucket
            """, cancellationToken);

    private static string Scope(string image, string tag) =>
        string.Create(CultureInfo.InvariantCulture, $"image_name = {String(image)} AND image_tag = {String(tag)}");
}

internal sealed record SnapshotPointRow(long WindowStartUs, string ContainerId);

internal sealed record NodePointRow(string NodeKind, long SeenUs);

internal sealed record CommonalityCountRow(string NodeKind, byte Decile, ulong Nodes);

internal sealed record SignalSpanRow(ulong Signals, long FirstUs, long LastUs);

internal sealed record BucketCountRow(long Bucket, ulong Total);
