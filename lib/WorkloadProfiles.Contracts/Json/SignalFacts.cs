using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Contracts.Json;

/// <summary>
/// What every JSON shape derives the same way from an enriched signal: the parent process, MITRE ATT&amp;CK from the
/// rule's tags, numeric severity, times and the profile link. The shapes only choose names and nesting.
/// </summary>
internal static partial class SignalFacts
{
    /// <summary>ECS <c>event.severity</c> (0–100): info 10, low 21, medium 47, high 73, critical 99.</summary>
    public static int SeverityScore(Severity severity) => severity switch
    {
        Severity.Info => 10,
        Severity.Low => 21,
        Severity.Medium => 47,
        Severity.High => 73,
        Severity.Critical => 99,
        _ => 0,
    };

    /// <summary>RFC 3339 in UTC with microseconds, e.g. <c>2026-01-01T00:00:00.000001Z</c>.</summary>
    public static string Rfc3339(long unixMicros) =>
        DateTimeOffset.UnixEpoch.AddTicks(unixMicros * TimeSpan.TicksPerMicrosecond).UtcDateTime
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static long UnixMillis(long unixMicros) => unixMicros / 1000;

    /// <summary>
    /// The acting process's parent: the last ancestry entry (root first) whose pid differs from the acting pid — a forked
    /// child that has not exec'd sits on its parent's entry, so "the last entry" alone would be wrong. When the ancestry
    /// carries no pids (some Falco alerts), the entry before the acting process's own.
    /// </summary>
    public static ProcessRef? ParentOf(SecuritySignal signal)
    {
        var ancestry = signal.Behaviour.Ancestry;
        var pid = signal.Process?.Pid ?? 0;
        if (pid != 0 && ancestry.Any(p => p.Pid != 0))
        {
            for (var i = ancestry.Count - 1; i >= 0; i--)
            {
                if (ancestry[i].Pid != 0 && ancestry[i].Pid != pid) return ancestry[i];
            }

            return null;
        }

        return ancestry.Count >= 2 ? ancestry[^2] : null;
    }

    /// <summary>The parent's pid: its ancestry entry's, else the acting process's ppid; 0 when neither is known.</summary>
    public static int ParentPid(SecuritySignal signal, ProcessRef? parent) =>
        parent is { Pid: not 0 } ? parent.Pid : signal.Process?.Ppid ?? 0;

    public static string CommandLine(IReadOnlyList<string> args) => string.Join(' ', args);

    /// <summary>The executable's file name (ECS <c>process.name</c> falls back to it when the kernel comm is unknown).</summary>
    public static string BaseName(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash >= 0 ? path[(slash + 1)..] : path;
    }

    /// <summary>ATT&amp;CK technique ids among the tags: <c>T1059</c>, <c>T1059.004</c>, also written <c>mitre:T1059</c>.</summary>
    public static IReadOnlyList<string> Techniques(IReadOnlyList<string> tags) =>
        [.. tags.Select(t => TechniqueTag().Match(t)).Where(m => m.Success).Select(m => m.Groups[1].Value.ToUpperInvariant()).Distinct()];

    /// <summary>ATT&amp;CK tactic names among the tags, Falco's convention: <c>mitre_execution</c> → <c>Execution</c>.</summary>
    public static IReadOnlyList<string> Tactics(IReadOnlyList<string> tags) =>
        [.. tags.Select(t => t.StartsWith("mitre_", StringComparison.OrdinalIgnoreCase) && TacticNames.TryGetValue(t[6..], out var name) ? name : null)
            .OfType<string>().Distinct()];

    static readonly Dictionary<string, string> TacticNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["reconnaissance"] = "Reconnaissance",
        ["resource_development"] = "Resource Development",
        ["initial_access"] = "Initial Access",
        ["execution"] = "Execution",
        ["persistence"] = "Persistence",
        ["privilege_escalation"] = "Privilege Escalation",
        ["defense_evasion"] = "Defense Evasion",
        ["credential_access"] = "Credential Access",
        ["discovery"] = "Discovery",
        ["lateral_movement"] = "Lateral Movement",
        ["collection"] = "Collection",
        ["command_and_control"] = "Command and Control",
        ["exfiltration"] = "Exfiltration",
        ["impact"] = "Impact",
    };

    /// <summary>The destination as an IP address, or null when it is not one (ECS <c>destination.ip</c> must be).</summary>
    public static string? DestinationIp(Behaviour behaviour) =>
        behaviour.DestinationAddress is { Length: > 0 } address && IPAddress.TryParse(address, out var ip) ? ip.ToString() : null;

    public static string? Transport(NetworkTransport transport) => transport switch
    {
        NetworkTransport.Tcp => "tcp",
        NetworkTransport.Udp => "udp",
        _ => null,
    };

    /// <summary>The profile page: absolute when the explorer's address is configured, else the explorer path.</summary>
    public static string Link(ProfileContext profile, SignalJsonOptions options) =>
        options.ExplorerUrl.Length > 0 && profile.ProfileLink.StartsWith('/')
            ? options.ExplorerUrl.TrimEnd('/') + profile.ProfileLink
            : profile.ProfileLink;

    [GeneratedRegex(@"^(?:mitre[:_])?(T\d{4}(?:\.\d{3})?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TechniqueTag();
}
