namespace WorkloadProfiles.Domain.Identity;

/// <summary>The kinds of node in a behaviour tree. Processes form the tree; the others are leaves under a process.</summary>
public enum NodeKind
{
    Process = 0,
    File = 1,
    Dns = 2,
    Network = 3,
}

/// <summary>File access observed for a file node, as flags so a profile keeps the union.</summary>
[Flags]
public enum FileAccessMode
{
    None = 0,
    Read = 1,
    Write = 2,
}
