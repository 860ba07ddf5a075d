using Microsoft.Extensions.Options;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Profiles;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>Security profiles: images, their versions, one profile in detail, and the comparison of two versions.</summary>
internal static class ProfileEndpoints
{
    private const int MaxSnapshots = 1000;
    private const int MaxRelatedSignals = 100;

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/images", ListImages);
        api.MapGet("/images/{image}/profiles", ListProfiles);
        api.MapGet("/profiles/{image}/{tag}", GetProfile);
        api.MapGet("/profiles/{image}/{tag}/compare/{otherTag}", Compare);
    }

    private static async Task<IResult> ListImages(ProfileReader profiles, CancellationToken cancellationToken)
    {
        var images = profiles.ImagesAsync(cancellationToken);
        var running = profiles.RunningCountsAsync(null, cancellationToken);
        await Task.WhenAll(images, running);
        return Results.Ok(images.Result.Select(i => new ImageSummary(
            i.ImageName, i.Versions, i.StableVersions, i.LatestTag, i.LatestStatus, i.LatestCommonality, i.TotalSnapshots,
            Time.FromMicros(i.LastUpdateUs), running.Result.GetValueOrDefault(i.ImageName))).ToList());
    }

    private static async Task<IResult> ListProfiles(string image, ProfileReader profiles, CancellationToken cancellationToken)
    {
        if (!ApiInput.TryImage(image, out var imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        var rows = profiles.ProfilesOfImageAsync(imageName, cancellationToken);
        var running = profiles.RunningCountsAsync(imageName, cancellationToken);
        var signals = profiles.SignalCountsAsync(imageName, cancellationToken);
        await Task.WhenAll(rows, running, signals);
        if (rows.Result.Count == 0) return NotFound($"No security profile exists for image '{imageName}'.");
        return Results.Ok(rows.Result.Select(p =>
            Views.Profile(p, running.Result.GetValueOrDefault(p.ImageTag), signals.Result.GetValueOrDefault(p.ImageTag))).ToList());
    }

    private static async Task<IResult> GetProfile(
        string image, string tag, ProfileReader profiles, SignalReader signalReader, IOptions<ExplorerOptions> options,
        CancellationToken cancellationToken)
    {
        if (!ApiInput.TryImage(image, out var imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        if (!ApiInput.TryTag(tag, out var imageTag)) return ApiInput.Invalid(nameof(tag), ApiInput.TagRule);
        var detail = await ReadDetailAsync(imageName, imageTag, profiles, signalReader, options.Value.MaxProfileNodes, cancellationToken);
        return detail is null ? NotFound($"No security profile exists for {imageName}@{imageTag}.") : Results.Ok(detail);
    }

    /// <summary>The whole detail page of a profile; null when the profile does not exist. Also the JSON export.</summary>
    public static async Task<ProfileDetail?> ReadDetailAsync(
        string image, string tag, ProfileReader profiles, SignalReader signalReader, int maxNodes, CancellationToken cancellationToken)
    {
        var profile = await profiles.ProfileAsync(image, tag, cancellationToken);
        if (profile is null) return null;

        var nodes = profiles.NodesAsync(image, tag, maxNodes + 1, cancellationToken);
        var versions = profiles.ProfilesOfImageAsync(image, cancellationToken);
        var signals = signalReader.ListAsync(new SignalFilter(image, tag, Limit: MaxRelatedSignals), cancellationToken);
        var signalCounts = profiles.SignalCountsAsync(image, cancellationToken);
        var containers = profiles.RunningContainersAsync(image, cancellationToken);
        var snapshots = profiles.SnapshotsAsync(image, tag, MaxSnapshots, cancellationToken);
        await Task.WhenAll(nodes, versions, signals, signalCounts, containers, snapshots);

        var nodeRows = nodes.Result;
        var truncated = nodeRows.Count > maxNodes;
        if (truncated) nodeRows = nodeRows.Take(maxNodes).ToList();
        var tree = ProcessTree.Build(nodeRows);
        var running = containers.Result;
        return new ProfileDetail(
            Views.Profile(profile, (ulong)running.Count(c => c.ImageTag == tag), signalCounts.Result.GetValueOrDefault(tag)),
            versions.Result.Select(v => v.ImageTag).Order(StringComparer.Ordinal).ToList(),
            tree.Roots,
            nodeRows.Count,
            truncated,
            tree.Unattached,
            signals.Result.Select(Views.Signal).ToList(),
            // This version's containers first: they are the ones the profile describes.
            running.OrderBy(c => c.ImageTag == tag ? 0 : 1).Select(Views.Container).ToList(),
            snapshots.Result.Select(Views.Snapshot).ToList());
    }

    private static async Task<IResult> Compare(
        string image, string tag, string otherTag, ProfileReader profiles, IOptions<ExplorerOptions> options, CancellationToken cancellationToken)
    {
        if (!ApiInput.TryImage(image, out var imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        if (!ApiInput.TryTag(tag, out var imageTag)) return ApiInput.Invalid(nameof(tag), ApiInput.TagRule);
        if (!ApiInput.TryTag(otherTag, out var other)) return ApiInput.Invalid(nameof(otherTag), ApiInput.TagRule);

        var profile = profiles.ProfileAsync(imageName, imageTag, cancellationToken);
        var otherProfile = profiles.ProfileAsync(imageName, other, cancellationToken);
        await Task.WhenAll(profile, otherProfile);
        if (profile.Result is null) return NotFound($"No security profile exists for {imageName}@{imageTag}.");
        if (otherProfile.Result is null) return NotFound($"No security profile exists for {imageName}@{other}.");

        var limit = options.Value.MaxProfileNodes;
        var nodes = profiles.NodesAsync(imageName, imageTag, limit, cancellationToken);
        var otherNodes = profiles.NodesAsync(imageName, other, limit, cancellationToken);
        await Task.WhenAll(nodes, otherNodes);
        return Results.Ok(ProfileComparer.Compare((profile.Result, nodes.Result), (otherProfile.Result, otherNodes.Result)));
    }

    public static IResult NotFound(string detail) =>
        Results.Problem(title: "Not found", detail: detail, statusCode: StatusCodes.Status404NotFound);
}
