using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Suppressions;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>Enriched signals: the list with filters, and one signal with its profile context and suggestion.</summary>
internal static class SignalEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/signals", List);
        api.MapGet("/signals/{id}", Get);
    }

    private static async Task<IResult> List(
        SignalReader signals, CancellationToken cancellationToken,
        string? image = null, string? tag = null, string? rule = null, string? severity = null, bool? suggestion = null, int? limit = null)
    {
        string? imageName = null, imageTag = null, ruleId = null;
        if (image is not null && !ApiInput.TryImage(image, out imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        if (tag is not null && !ApiInput.TryTag(tag, out imageTag)) return ApiInput.Invalid(nameof(tag), ApiInput.TagRule);
        if (rule is not null && !ApiInput.TryId(rule, out ruleId)) return ApiInput.Invalid(nameof(rule), ApiInput.IdRule);
        if (severity is not null && !ApiInput.Severities.Contains(severity, StringComparer.Ordinal))
            return ApiInput.Invalid(nameof(severity), $"one of {string.Join(", ", ApiInput.Severities)}");
        if (limit is < 1 or > SignalFilter.MaxLimit) return ApiInput.Invalid(nameof(limit), $"a number from 1 to {SignalFilter.MaxLimit}");

        var filter = new SignalFilter(imageName, imageTag, ruleId, severity, suggestion, limit ?? SignalFilter.DefaultLimit);
        var rows = await signals.ListAsync(filter, cancellationToken);
        return Results.Ok(rows.Select(Views.Signal).ToList());
    }

    private static async Task<IResult> Get(
        string id, SignalReader signals, SuppressionCatalog suppressions, PipelinePolicy policy, CancellationToken cancellationToken)
    {
        if (!ApiInput.TryId(id, out var signalId)) return ApiInput.Invalid(nameof(id), ApiInput.IdRule);
        var row = await signals.GetAsync(signalId, cancellationToken);
        if (row is null) return ProfileEndpoints.NotFound($"No signal has id '{signalId}'.");
        var suppressionId = row.HasSuggestion != 0
            ? Domain.Signals.Suppression.MakeId(row.RuleId, row.ImageName, row.SuggestionNodeId, row.SuggestionSignatures ?? [])
            : DriftAllowance.Of(row)?.SuppressionId;
        var suppression = suppressionId is null ? null : await suppressions.FindAsync(suppressionId, cancellationToken);
        return Results.Ok(Views.SignalDetail(row, suppression, policy));
    }
}
