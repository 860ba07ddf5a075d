using System.Globalization;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Domain.Drift;

/// <summary>The <c>wp.drift.*</c> signals: a behaviour outside the image's profile, and the cap notice.</summary>
public static class DriftSignals
{
    /// <summary><see cref="SecuritySignal.Source"/> of drift signals.</summary>
    public const string Source = "drift";

    /// <summary>The finding's behaviour in signal terms (the acting process's real ancestry); also what suppressions match.</summary>
    public static Behaviour BehaviourOf(DriftFinding finding, RawEvent e)
    {
        ArgumentNullException.ThrowIfNull(finding);
        return SignalFactory.BehaviourOf(e, finding.Image.Lineage());
    }

    public static SecuritySignal Create(DriftFinding finding, Behaviour behaviour, RawEvent e, ContainerRef container, string hostName)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var note = $" — drift: {finding.Reason}; path {string.Join(" › ", finding.Path)}";
        return SignalFactory.Create(Source, finding.RuleId, NameOf(finding.Kind), Description, Severity.Medium, TagsOf(finding.Kind), e, container,
            hostName, behaviour, finding.Image, note);
    }

    /// <summary>Raised once per container and window when its drift reaches <paramref name="maxPerWindow"/>: what follows in
    /// the window is counted, not signalled.</summary>
    public static SecuritySignal Overflow(DriftFinding finding, Behaviour behaviour, RawEvent e, ContainerRef container, string hostName, int maxPerWindow)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var note = string.Create(CultureInfo.InvariantCulture,
            $" — drift cap of {maxPerWindow} signals for this container in this window reached; further drift in the window is counted (wp_streams_drift_total{{outcome=\"over-cap\"}}), not signalled");
        return SignalFactory.Create(Source, DriftRules.Overflow, "Drift cap reached", OverflowDescription, Severity.Medium, ["drift", "overflow"], e,
            container, hostName, behaviour, finding.Image, note);
    }

    private const string Description =
        "The container did something its image's Stable profile never saw: a node (or, for an exec, arguments) outside every snapshot the profile learnt from.";
    private const string OverflowDescription =
        "The container reached its cap of drift signals for the window; further drift in the window is counted, not signalled.";

    private static string NameOf(NodeKind kind) => kind switch
    {
        NodeKind.Process => "Process drift: a program or arguments the profile never saw",
        NodeKind.File => "File drift: a file access the profile never saw",
        NodeKind.Dns => "DNS drift: a name the profile never resolved",
        _ => "Network drift: a connection the profile never made",
    };

    private static readonly string[] ProcessTags = ["drift", "process"];
    private static readonly string[] FileTags = ["drift", "file"];
    private static readonly string[] DnsTags = ["drift", "dns"];
    private static readonly string[] NetworkTags = ["drift", "network"];

    private static string[] TagsOf(NodeKind kind) => kind switch
    {
        NodeKind.Process => ProcessTags,
        NodeKind.File => FileTags,
        NodeKind.Dns => DnsTags,
        _ => NetworkTags,
    };
}
