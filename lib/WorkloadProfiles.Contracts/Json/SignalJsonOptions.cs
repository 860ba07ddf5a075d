namespace WorkloadProfiles.Contracts.Json;

/// <summary>The JSON shapes an enriched signal can be published in for SOC tools that do not read Avro.</summary>
public enum SignalJsonFormat
{
    /// <summary>Elastic Common Schema (DESIGN "JSON signal output"); the default.</summary>
    Ecs,
    /// <summary>OCSF Detection Finding (class 2004).</summary>
    Ocsf,
    /// <summary>A Falco alert as falcosidekick writes it (<c>output</c>, <c>priority</c>, <c>rule</c>, <c>output_fields</c>).</summary>
    Falco,
}

/// <summary>
/// Configuration of the JSON copy of <c>wp.signals.enriched</c> (section <c>Enrichment</c>: <c>Enrichment:JsonTopic</c>,
/// <c>Enrichment:JsonFormat</c>, <c>Enrichment:ExplorerUrl</c>).
/// </summary>
public sealed record SignalJsonOptions
{
    /// <summary>Where the JSON records go; empty turns the JSON output off.</summary>
    public string Topic { get; init; } = Topics.SignalsEnrichedJson;

    public SignalJsonFormat Format { get; init; } = SignalJsonFormat.Ecs;

    /// <summary>
    /// The explorer's external address (e.g. <c>https://wp.example.com</c>); when set, profile links are absolute so a SOC
    /// ticket opens them. Empty keeps the explorer path (<c>/profiles/nginx/1.27</c>).
    /// </summary>
    public string ExplorerUrl { get; init; } = "";

    public bool Enabled => Topic.Length > 0;

    public static SignalJsonOptions Default { get; } = new();

    /// <summary>Parses <c>ecs</c>, <c>ocsf</c> or <c>falco</c> (any case).</summary>
    /// <exception cref="ArgumentException">Another value.</exception>
    public static SignalJsonFormat ParseFormat(string? text) =>
        string.IsNullOrWhiteSpace(text) ? SignalJsonFormat.Ecs
        : char.IsAsciiLetter(text.Trim()[0]) && Enum.TryParse<SignalJsonFormat>(text.Trim(), ignoreCase: true, out var format) ? format
        : throw new ArgumentException($"Enrichment:JsonFormat must be ecs, ocsf or falco, not '{text}'.");
}
