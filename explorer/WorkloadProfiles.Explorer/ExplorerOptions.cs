using WorkloadProfiles.Contracts;

namespace WorkloadProfiles.Explorer;

/// <summary>Configuration section <c>Explorer</c> (environment: <c>WP_Explorer__Token</c>, <c>WP_Explorer__Urls</c>, …).</summary>
public sealed class ExplorerOptions
{
    public const string SectionName = "Explorer";

    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>
    /// The bearer token every API request must carry. When empty, a random token is generated at start and printed to the
    /// log, so an unconfigured explorer is never open.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>The identity recorded as who created or removed a suppression when the request names no user.</summary>
    public string User { get; set; } = "explorer";

    /// <summary>Addresses Kestrel listens on (semicolon-separated). Loopback by default: put a TLS proxy in front to expose it.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>The compacted topic suppressions are published to.</summary>
    public string SuppressionsTopic { get; set; } = Topics.Suppressions;

    /// <summary>How long a suppression write may wait for the broker's acknowledgement before the request fails.</summary>
    public int PublishTimeoutMs { get; set; } = 10_000;

    /// <summary>Nodes read for one profile at most; a larger profile is shown truncated (and says so).</summary>
    public int MaxProfileNodes { get; set; } = 20_000;

    /// <summary>Apply the ClickHouse migrations at start (the sink normally does; handy for a stand-alone explorer).</summary>
    public bool MigrateOnStart { get; set; }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Urls)) throw new InvalidOperationException("Explorer:Urls (WP_Explorer__Urls) is empty.");
        if (string.IsNullOrWhiteSpace(SuppressionsTopic)) throw new InvalidOperationException("Explorer:SuppressionsTopic is empty.");
        if (PublishTimeoutMs < 100) throw new InvalidOperationException("Explorer:PublishTimeoutMs must be at least 100.");
        if (MaxProfileNodes < 1) throw new InvalidOperationException("Explorer:MaxProfileNodes must be at least 1.");
        if (!Actor.IsValidName(User)) throw new InvalidOperationException($"Explorer:User '{User}' is not a valid user name ({Actor.NameRule}).");
        if (Token is { Length: > 0 and < 16 }) throw new InvalidOperationException("Explorer:Token must be at least 16 characters.");
    }
}
