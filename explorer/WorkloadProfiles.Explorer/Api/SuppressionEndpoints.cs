using Microsoft.Extensions.Options;
using WorkloadProfiles.Domain.Signals;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Suppressions;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>
/// Accepting a signal's suppression suggestion, allowing a drift signal's behaviour, and removing a suppression. All publish
/// a <see cref="Suppression"/> to the compacted suppressions topic; the scope comes from the stored suggestion (or, for
/// drift, the stored behaviour: <see cref="DriftAllowance"/>), never from the request.
/// </summary>
internal static class SuppressionEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/suppressions", List);
        api.MapPost("/suppressions", Create);
        api.MapDelete("/suppressions/{id}", Remove);
    }

    private static async Task<IResult> List(SuppressionCatalog catalog, CancellationToken cancellationToken, bool includeRemoved = false)
    {
        var suppressions = await catalog.ListAsync(includeRemoved, cancellationToken);
        return Results.Ok(suppressions.Select(Views.Suppression).ToList());
    }

    private static async Task<IResult> Create(
        CreateSuppressionRequest? request, HttpContext context, SignalReader signals, SuppressionCatalog catalog,
        SuppressionPublisher publisher, IOptions<ExplorerOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!ApiInput.TryId(request?.SignalId, out var signalId)) return ApiInput.Invalid("signalId", ApiInput.IdRule);
        if (Actor.Of(context, options.Value) is not { } actor) return ApiInput.Invalid(Actor.HeaderName, Actor.NameRule);

        var signal = await signals.GetAsync(signalId, cancellationToken);
        if (signal is null) return ProfileEndpoints.NotFound($"No signal has id '{signalId}'.");
        var now = NowUs(clock);
        Suppression suppression;
        if (signal.HasSuggestion != 0)
        {
            var signatures = signal.SuggestionSignatures ?? [];
            suppression = new Suppression
            {
                Id = Suppression.MakeId(signal.RuleId, signal.ImageName, signal.SuggestionNodeId, signatures),
                RuleId = signal.RuleId,
                ImageName = signal.ImageName,
                NodeId = signal.SuggestionNodeId,
                // Rebuilt from (image, node, signatures) rather than copied, so the scope is exactly what the suggestion covers.
                Expression = SuggestionMatcher.Expression(signal.ImageName, signal.SuggestionNodeId, signatures.Length == 0 ? null : signatures),
                Signatures = signatures,
                Description = signal.SuggestionDescription,
                CreatedBy = actor,
                CreatedAtUs = now,
                FromSignalId = signal.SignalId,
            };
        }
        else if (DriftAllowance.Of(signal) is { } allowance)
        {
            // "Allow" on a drift signal: the same topic and audit fields as an accepted suggestion.
            suppression = new Suppression
            {
                Id = allowance.SuppressionId,
                RuleId = allowance.RuleId,
                ImageName = allowance.ImageName,
                NodeId = allowance.NodeId,
                Expression = allowance.Expression,
                Signatures = allowance.Signatures,
                Description = $"allowed drift: {signal.BehaviourProcess} {signal.BehaviourKind} {signal.BehaviourDetail}".Trim(),
                CreatedBy = actor,
                CreatedAtUs = now,
                FromSignalId = signal.SignalId,
            };
        }
        else
        {
            return Results.Problem(
                title: "No suppression suggestion",
                detail: $"Signal '{signalId}' has no suppression suggestion" + (signal.NoSuggestionReason.Length > 0 ? $": {signal.NoSuggestionReason}." : "."),
                statusCode: StatusCodes.Status409Conflict);
        }

        // The same scope again is the same suppression (deterministic id), not a second one.
        var existing = await catalog.FindAsync(suppression.Id, cancellationToken);
        if (existing is { Removed: false }) return Results.Ok(Views.Suppression(existing));
        await publisher.PublishAsync(suppression, cancellationToken);
        catalog.Remember(suppression);
        return Results.Created($"/api/suppressions/{Uri.EscapeDataString(suppression.Id)}", Views.Suppression(suppression));
    }

    private static async Task<IResult> Remove(
        string id, HttpContext context, SuppressionCatalog catalog, SuppressionPublisher publisher, IOptions<ExplorerOptions> options,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!ApiInput.TryId(id, out var suppressionId)) return ApiInput.Invalid(nameof(id), ApiInput.IdRule);
        if (Actor.Of(context, options.Value) is not { } actor) return ApiInput.Invalid(Actor.HeaderName, Actor.NameRule);

        var existing = await catalog.FindAsync(suppressionId, cancellationToken);
        if (existing is null) return ProfileEndpoints.NotFound($"No suppression has id '{suppressionId}'.");
        if (existing.Removed)
        {
            return Results.Problem(
                title: "Already removed",
                detail: $"Suppression '{suppressionId}' was removed by {existing.RemovedBy}.",
                statusCode: StatusCodes.Status409Conflict);
        }

        // The removal must be the later change (the table keeps the greatest version), even against a skewed clock.
        var removed = existing with { Removed = true, RemovedBy = actor, RemovedAtUs = Math.Max(NowUs(clock), existing.CreatedAtUs + 1) };
        await publisher.PublishAsync(removed, cancellationToken);
        catalog.Remember(removed);
        return Results.Ok(Views.Suppression(removed));
    }

    private static long NowUs(TimeProvider clock) => (clock.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
}
