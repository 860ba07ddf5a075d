using System.Globalization;
using WorkloadProfiles.ClickHouse;

namespace WorkloadProfiles.Local;

/// <summary>What the pipeline produced so far, read from ClickHouse (what the sink wrote).</summary>
public sealed record PipelineSummary(long Snapshots, long Profiles, long StableProfiles, long SignalsEnriched, long Suggestions)
{
    public static async Task<PipelineSummary> ReadAsync(ClickHouseDatabase database, CancellationToken cancellationToken)
    {
        async Task<long> Count(string sql) =>
            long.Parse((await database.ScalarTextAsync(sql, cancellationToken)).Trim(), CultureInfo.InvariantCulture);

        return new PipelineSummary(
            Snapshots: await Count("SELECT uniqExact(snapshot_id) FROM snapshots"),
            Profiles: await Count("SELECT uniqExact(image_name, image_tag) FROM profiles"),
            StableProfiles: await Count(
                "SELECT count() FROM (SELECT argMax(status, revision) AS latest FROM profiles GROUP BY image_name, image_tag) WHERE latest = 'Stable'"),
            SignalsEnriched: await Count("SELECT uniqExact(signal_id) FROM enriched_signals"),
            // A signal counts as suggested when its latest enrichment carries a suggestion.
            Suggestions: await Count(
                "SELECT count() FROM (SELECT argMax(has_suggestion, enriched_at_us) AS latest FROM enriched_signals GROUP BY signal_id) WHERE latest = 1"));
    }
}
