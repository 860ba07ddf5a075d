using WorkloadProfiles.Domain.Identity;

namespace WorkloadProfiles.Domain.Drift;

/// <summary>Which behaviours raise drift signals when their node is not in the image's profile.</summary>
[Flags]
public enum DriftKinds
{
    None = 0,
    /// <summary>An exec whose process node, or whose argument signature on a known node, the profile never saw.</summary>
    Exec = 1,
    Dns = 2,
    /// <summary>An outbound connection (protocol, port, address class).</summary>
    Connect = 4,
    /// <summary>An open for writing of a file node the profile never saw, or only saw read.</summary>
    FileWrite = 8,
    /// <summary>An open for reading of a file node the profile never saw (off by default: reads are the noisiest kind).</summary>
    FileRead = 16,
    Default = Exec | Dns | Connect | FileWrite,
    All = Default | FileRead,
}

/// <summary>Rule ids and the text form of <see cref="DriftKinds"/> (configuration: <c>exec,dns,connect,file-write</c>).</summary>
public static class DriftRules
{
    public const string Prefix = "wp.drift.";
    public const string Process = Prefix + "process";
    public const string File = Prefix + "file";
    public const string Dns = Prefix + "dns";
    public const string Network = Prefix + "network";
    /// <summary>One per container and window when its drift signals hit the cap.</summary>
    public const string Overflow = Prefix + "overflow";

    public static bool IsDrift(string ruleId) => ruleId.StartsWith(Prefix, StringComparison.Ordinal);

    public static string RuleOf(NodeKind kind) => kind switch
    {
        NodeKind.Process => Process,
        NodeKind.File => File,
        NodeKind.Dns => Dns,
        NodeKind.Network => Network,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown node kind"),
    };

    private static readonly (string Name, DriftKinds Kind)[] Names =
    [
        ("exec", DriftKinds.Exec), ("dns", DriftKinds.Dns), ("connect", DriftKinds.Connect),
        ("file-write", DriftKinds.FileWrite), ("file-read", DriftKinds.FileRead),
    ];

    /// <summary>Parses <c>exec,dns,connect,file-write,file-read</c> (any order; <c>none</c>, <c>default</c> and <c>all</c> too).</summary>
    /// <exception cref="FormatException">An unknown kind, naming the accepted ones.</exception>
    public static DriftKinds ParseKinds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var kinds = DriftKinds.None;
        foreach (var part in text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            kinds |= part.ToLowerInvariant() switch
            {
                "none" => DriftKinds.None,
                "default" => DriftKinds.Default,
                "all" => DriftKinds.All,
                var name => Array.Find(Names, n => n.Name == name) is { Name: not null } known ? known.Kind
                    : throw new FormatException($"unknown drift kind '{part}': expected {string.Join(", ", Names.Select(n => n.Name))}, none, default or all"),
            };
        }
        return kinds;
    }

    public static string Format(DriftKinds kinds) =>
        kinds == DriftKinds.None ? "none" : string.Join(',', Names.Where(n => kinds.HasFlag(n.Kind)).Select(n => n.Name));
}
