using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using WorkloadProfiles.Explorer.Data;
using WorkloadProfiles.Explorer.Exports;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>A profile as a download: JSON, a Falco allow-list, or a Kubernetes NetworkPolicy.</summary>
internal static class ExportEndpoints
{
    private const string YamlContentType = "application/yaml; charset=utf-8";

    // The API's own conventions (camelCase), indented for a file a person reads.
    private static readonly JsonSerializerOptions IndentedJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/profiles/{image}/{tag}/export.json", Json);
        api.MapGet("/profiles/{image}/{tag}/export/falco.yaml", Falco);
        api.MapGet("/profiles/{image}/{tag}/export/networkpolicy.yaml", NetworkPolicy);
    }

    private static async Task<IResult> Json(
        string image, string tag, ProfileReader profiles, SignalReader signals, IOptions<ExplorerOptions> options,
        CancellationToken cancellationToken)
    {
        if (!ApiInput.TryImage(image, out var imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        if (!ApiInput.TryTag(tag, out var imageTag)) return ApiInput.Invalid(nameof(tag), ApiInput.TagRule);
        var detail = await ProfileEndpoints.ReadDetailAsync(imageName, imageTag, profiles, signals, options.Value.MaxProfileNodes, cancellationToken);
        if (detail is null) return ProfileEndpoints.NotFound($"No security profile exists for {imageName}@{imageTag}.");
        var bytes = JsonSerializer.SerializeToUtf8Bytes(detail, IndentedJson);
        return Results.File(bytes, "application/json", FileName(imageName, imageTag, "json"));
    }

    private static async Task<IResult> Falco(
        string image, string tag, ProfileReader profiles, IOptions<ExplorerOptions> options, CancellationToken cancellationToken,
        string[]? rule = null, double? minCommonality = null)
    {
        if (!ApiInput.TryImage(image, out var imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        if (!ApiInput.TryTag(tag, out var imageTag)) return ApiInput.Invalid(nameof(tag), ApiInput.TagRule);
        if (!TryCommonality(minCommonality, out var threshold)) return ApiInput.Invalid(nameof(minCommonality), "a number from 0 to 1");
        var rules = new List<string>();
        foreach (var name in rule ?? [])
        {
            if (!ApiInput.TryId(name, out var ruleName)) return ApiInput.Invalid(nameof(rule), ApiInput.IdRule);
            rules.Add(ruleName);
        }

        var profile = await profiles.ProfileAsync(imageName, imageTag, cancellationToken);
        if (profile is null) return ProfileEndpoints.NotFound($"No security profile exists for {imageName}@{imageTag}.");
        var nodes = await profiles.NodesAsync(imageName, imageTag, options.Value.MaxProfileNodes, cancellationToken);
        return Yaml(FalcoExceptions.Render(profile, nodes, rules, threshold), FileName(imageName, imageTag, "falco.yaml"));
    }

    private static async Task<IResult> NetworkPolicy(
        string image, string tag, ProfileReader profiles, IOptions<ExplorerOptions> options, CancellationToken cancellationToken,
        string? selector = null, string? @namespace = null, double? minCommonality = null)
    {
        if (!ApiInput.TryImage(image, out var imageName)) return ApiInput.Invalid(nameof(image), ApiInput.ImageRule);
        if (!ApiInput.TryTag(tag, out var imageTag)) return ApiInput.Invalid(nameof(tag), ApiInput.TagRule);
        if (!TryCommonality(minCommonality, out var threshold)) return ApiInput.Invalid(nameof(minCommonality), "a number from 0 to 1");
        var label = NetworkPolicyExport.DefaultPodLabel(imageName);
        if (selector is not null)
        {
            if (!KubernetesNames.TryLabel(selector, out var parsed)) return ApiInput.Invalid(nameof(selector), KubernetesNames.LabelRule);
            label = parsed;
        }
        if (@namespace is not null && !KubernetesNames.IsDnsLabel(@namespace)) return ApiInput.Invalid("namespace", KubernetesNames.NamespaceRule);

        var profile = await profiles.ProfileAsync(imageName, imageTag, cancellationToken);
        if (profile is null) return ProfileEndpoints.NotFound($"No security profile exists for {imageName}@{imageTag}.");
        var nodes = await profiles.NodesAsync(imageName, imageTag, options.Value.MaxProfileNodes, cancellationToken);
        return Yaml(NetworkPolicyExport.Render(profile, nodes, label, @namespace, threshold), FileName(imageName, imageTag, "networkpolicy.yaml"));
    }

    private static bool TryCommonality(double? value, out double threshold)
    {
        threshold = value ?? 0;
        return threshold is >= 0 and <= 1;
    }

    private static IResult Yaml(string text, string fileName) =>
        Results.File(Encoding.UTF8.GetBytes(text), YamlContentType, fileName);

    /// <summary><c>nginx_1.27.falco.yaml</c>: image path separators and other odd characters become '_'.</summary>
    private static string FileName(string image, string tag, string extension)
    {
        var stem = new StringBuilder();
        foreach (var c in $"{image}_{tag}") stem.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        return $"{stem}.{extension}";
    }
}
