using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Profiles;
using WorkloadProfiles.Explorer.Suppressions;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>
/// The signals view: groups of (rule, image, behaviour node) with server-side paging and filters, one group, its
/// signals, and the values the filters offer. Every endpoint takes the same filters, so a group's count and its
/// expanded list agree.
/// </summary>
internal static class SignalGroupEndpoints
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;
    public const int MaxPage = 10_000;

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/signal-groups", List);
        api.MapGet("/signal-groups/facets", Facets);
        api.MapGet("/signal-groups/{rule}/{image}/{behaviour}", Get);
        api.MapGet("/signal-groups/{rule}/{image}/{behaviour}/signals", Signals);
    }

    /// <summary>The filters every endpoint here accepts, as query parameters.</summary>
    internal sealed record Filters(
        DateTimeOffset? From = null, DateTimeOffset? To = null, string? Severity = null, string? Rule = null, string? Image = null,
        string? Tag = null, bool? Suggested = null, string? Origin = null, string? Namespace = null);

    private static async Task<IResult> List(
        SignalGroupReader reader, SuppressionCatalog suppressions, [AsParameters] Filters filters, CancellationToken cancellationToken,
        string? sort = null, int? page = null, int? size = null)
    {
        if (Scope(filters, out var scope) is { } invalid) return invalid;
        if (Paging(page, size, out var pageNumber, out var pageSize) is { } badPaging) return badPaging;
        if (!TrySort(sort, out var order)) return ApiInput.Invalid(nameof(sort), "one of lastSeen, firstSeen, count, severity");

        var result = reader.GroupsAsync(scope, order, pageNumber, pageSize, cancellationToken);
        var active = suppressions.ListAsync(includeRemoved: false, cancellationToken);
        await Task.WhenAll(result, active);
        var byNode = ByNode(active.Result);
        return Results.Ok(new SignalGroupList(
            result.Result.Groups.Select(g => View(g, byNode)).ToList(), pageNumber, pageSize,
            result.Result.TotalGroups, result.Result.TotalSignals, result.Result.HasNamespace));
    }

    private static async Task<IResult> Get(
        string rule, string image, string behaviour, SignalGroupReader reader, SuppressionCatalog suppressions,
        [AsParameters] Filters filters, CancellationToken cancellationToken)
    {
        if (GroupScope(rule, image, behaviour, filters, out var scope) is { } invalid) return invalid;
        var result = await reader.GroupsAsync(scope, SignalGroupSort.LastSeen, 1, 1, cancellationToken);
        if (result.Groups.Count == 0) return ProfileEndpoints.NotFound($"No signal of rule '{scope.RuleId}' on {scope.ImageName} matches behaviour {behaviour} with these filters.");
        var active = await suppressions.ListAsync(includeRemoved: false, cancellationToken);
        return Results.Ok(View(result.Groups[0], ByNode(active)));
    }

    /// <summary>Active suppressions by (rule, image, node): a group is suppressed when one covers its node, for whichever
    /// argument signatures it was accepted.</summary>
    private static Dictionary<string, Domain.Signals.Suppression> ByNode(IReadOnlyList<Domain.Signals.Suppression> active) =>
        active.GroupBy(s => Domain.Signals.Suppression.MakeId(s.RuleId, s.ImageName, s.NodeId), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    private static async Task<IResult> Signals(
        string rule, string image, string behaviour, SignalGroupReader reader, [AsParameters] Filters filters,
        CancellationToken cancellationToken, int? page = null, int? size = null)
    {
        if (GroupScope(rule, image, behaviour, filters, out var scope) is { } invalid) return invalid;
        if (Paging(page, size, out var pageNumber, out var pageSize) is { } badPaging) return badPaging;
        var (rows, total) = await reader.SignalsAsync(scope, pageNumber, pageSize, cancellationToken);
        return Results.Ok(new SignalPage(rows.Select(Views.Signal).ToList(), pageNumber, pageSize, total));
    }

    private static async Task<IResult> Facets(SignalGroupReader reader, CancellationToken cancellationToken, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        if (from > to) return ApiInput.Invalid(nameof(from), "a time before 'to'");
        var facets = await reader.FacetsAsync(new SignalScope { From = from, To = to }, cancellationToken);
        static List<FacetValue> Values(IReadOnlyList<FacetRow> rows) => rows.Select(r => new FacetValue(r.FacetValue, r.FacetLabel, r.Total)).ToList();
        return Results.Ok(new SignalFacetsView(Values(facets.Rules), Values(facets.Images), Values(facets.Severities), Values(facets.Namespaces)));
    }

    private static SignalGroupView View(SignalGroupRow g, Dictionary<string, Domain.Signals.Suppression> active)
    {
        var drift = g.GroupRuleId.StartsWith(SignalScope.DriftRulePrefix, StringComparison.Ordinal);
        var key = new BehaviourKey(g.Profiled != 0, g.BehaviourKey);
        var suppression = key.Profiled && active.TryGetValue(Domain.Signals.Suppression.MakeId(g.GroupRuleId, g.GroupImageName, key.Value), out var s) ? s : null;
        var state = suppression is not null ? "suppressed"
            : drift ? "never"
            : g.Suggested == 0 ? "none"
            : g.Suggested == g.Signals ? "all"
            : "some";
        return new SignalGroupView(
            g.GroupRuleId, g.AnyRuleName, drift, g.GroupImageName, g.ImageTags.Order(StringComparer.Ordinal).ToList(), key.ToString(),
            key.Profiled ? NodeIdentity.Format(key.Value) : null, g.LatestKind, g.LatestProcess, g.LatestDetail, g.SuggestedDescription,
            g.Signals, g.Containers, Time.FromMicros(g.FirstSeenUs), Time.FromMicros(g.LastSeenUs),
            SignalColumns.SeverityNames[Math.Clamp((int)g.SeverityRank, 1, 5)], g.Suggested, state,
            suppression is null ? null : Views.Suppression(suppression), g.LatestSignalId,
            g.Namespaces.Where(n => n.Length > 0).Order(StringComparer.Ordinal).ToList(),
            Link(g.GroupRuleId, g.GroupImageName, key));
    }

    /// <summary>The page of one group: what a ticket links to.</summary>
    public static string Link(string rule, string image, BehaviourKey behaviour) =>
        $"/signals/group/{Uri.EscapeDataString(rule)}/{Uri.EscapeDataString(image)}/{behaviour}";

    private static IResult? GroupScope(string rule, string image, string behaviour, Filters filters, out SignalScope scope)
    {
        scope = new SignalScope();
        if (!ApiInput.TryId(rule, out var ruleId)) return ApiInput.Invalid(nameof(rule), ApiInput.IdRule);
        if (!ApiInput.TryImage(image, out var imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        if (!BehaviourKey.TryParse(behaviour, out var key)) return ApiInput.Invalid(nameof(behaviour), "16 hex digits (a node id), or u and 16 hex digits");
        if (Scope(filters with { Rule = null, Image = null }, out var filtered) is { } invalid) return invalid;
        scope = filtered with { RuleId = ruleId, ImageName = imageName, Behaviour = key };
        return null;
    }

    private static IResult? Scope(Filters f, out SignalScope scope)
    {
        scope = new SignalScope();
        string? rule = null, image = null, tag = null, ns = null;
        if (f.Rule is not null && !ApiInput.TryId(f.Rule, out rule)) return ApiInput.Invalid("rule", ApiInput.IdRule);
        if (f.Image is not null && !ApiInput.TryImage(f.Image, out image)) return ApiInput.Invalid("image", ApiInput.ImageRule);
        if (f.Tag is not null && !ApiInput.TryTag(f.Tag, out tag)) return ApiInput.Invalid("tag", ApiInput.TagRule);
        if (f.Namespace is not null && !ApiInput.TryId(f.Namespace, out ns)) return ApiInput.Invalid("namespace", ApiInput.IdRule);
        if (f.From > f.To) return ApiInput.Invalid("from", "a time before 'to'");
        List<string>? severities = null;
        if (!string.IsNullOrEmpty(f.Severity))
        {
            severities = f.Severity.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
            if (severities.Count == 0 || severities.Any(s => !ApiInput.Severities.Contains(s, StringComparer.Ordinal)))
                return ApiInput.Invalid("severity", $"a comma-separated list of {string.Join(", ", ApiInput.Severities)}");
        }
        SignalOrigin origin;
        switch (f.Origin)
        {
            case null or "" or "any": origin = SignalOrigin.Any; break;
            case "rule": origin = SignalOrigin.Rule; break;
            case "drift": origin = SignalOrigin.Drift; break;
            default: return ApiInput.Invalid("origin", "one of any, rule, drift");
        }
        scope = new SignalScope
        {
            From = f.From, To = f.To, Severities = severities, RuleId = rule, ImageName = image, ImageTag = tag, Suggested = f.Suggested,
            Origin = origin, Namespace = ns,
        };
        return null;
    }

    private static IResult? Paging(int? page, int? size, out int pageNumber, out int pageSize)
    {
        pageNumber = page ?? 1;
        pageSize = size ?? DefaultPageSize;
        if (pageNumber is < 1 or > MaxPage) return ApiInput.Invalid(nameof(page), $"a number from 1 to {MaxPage}");
        if (pageSize is < 1 or > MaxPageSize) return ApiInput.Invalid(nameof(size), $"a number from 1 to {MaxPageSize}");
        return null;
    }

    private static bool TrySort(string? text, out SignalGroupSort sort)
    {
        sort = text switch
        {
            null or "" or "lastSeen" => SignalGroupSort.LastSeen,
            "firstSeen" => SignalGroupSort.FirstSeen,
            "count" => SignalGroupSort.Count,
            "severity" => SignalGroupSort.Severity,
            _ => (SignalGroupSort)(-1),
        };
        return Enum.IsDefined(sort);
    }
}
