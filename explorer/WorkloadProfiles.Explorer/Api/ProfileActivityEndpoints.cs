using Microsoft.Extensions.Options;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Profiles;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>The profile page's charts: learning progress, the profile's life over time, commonality spread, timeline.</summary>
internal static class ProfileActivityEndpoints
{
    public static void Map(IEndpointRouteBuilder api) => api.MapGet("/profiles/{image}/{tag}/activity", Get);

    private static async Task<IResult> Get(
        string image, string tag, ProfileReader profiles, ProfileActivityReader reader, PipelinePolicy policy, TimeProvider clock,
        IOptions<ExplorerOptions> options, CancellationToken cancellationToken)
    {
        if (!ApiInput.TryImage(image, out var imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        if (!ApiInput.TryTag(tag, out var imageTag)) return ApiInput.Invalid(nameof(tag), ApiInput.TagRule);
        var profile = await profiles.ProfileAsync(imageName, imageTag, cancellationToken);
        if (profile is null) return ProfileEndpoints.NotFound($"No security profile exists for {imageName}@{imageTag}.");

        var maxNodes = options.Value.MaxProfileNodes;
        var snapshots = reader.MergedSnapshotsAsync(imageName, imageTag, cancellationToken);
        var nodes = reader.NodeFirstSeenAsync(imageName, imageTag, maxNodes + 1, cancellationToken);
        var histogram = reader.CommonalityHistogramAsync(imageName, imageTag, cancellationToken);
        var signals = reader.SignalSpanAsync(imageName, imageTag, cancellationToken);
        await Task.WhenAll(snapshots, nodes, histogram, signals);

        var nodeRows = nodes.Result;
        var truncated = nodeRows.Count > maxNodes;
        if (truncated) nodeRows = nodeRows.Take(maxNodes).ToList();
        var learning = ProfileActivity.Learning(profile, policy, clock.GetUtcNow());
        var (from, to) = ProfileActivity.Span(profile, snapshots.Result, nodeRows, signals.Result);
        var grid = ProfileActivity.Grid(from, to);
        var perBucket = signals.Result.Signals == 0
            ? []
            : await reader.SignalsPerBucketAsync(imageName, imageTag, grid.StartUs, grid.WidthUs, cancellationToken);

        return Results.Ok(new ProfileActivityView(
            learning,
            (int)(grid.WidthUs / 1_000_000),
            ProfileActivity.Buckets(grid, snapshots.Result, nodeRows, perBucket),
            ProfileActivity.Histogram(histogram.Result),
            policy.MinNodeCommonality,
            ProfileActivity.Events(profile, learning, snapshots.Result, signals.Result),
            truncated));
    }
}
