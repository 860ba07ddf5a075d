using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Domain.Identity;

/// <summary>
/// Node identity (DESIGN "Node identity"): id = stable 64-bit hash of (parent id, kind, normalized key). The same behaviour
/// in two containers has the same id, so merging is a map union. The container root has id 0.
/// </summary>
public static class NodeIdentity
{
    public const ulong Root = 0;

    public static ulong Compute(ulong parentId, NodeKind kind, string normalizedKey) => throw new NotImplementedException();

    /// <summary>Process key: normalized executable path, plus an argv pattern for interpreters/shells (<c>sh -c *</c> ≠ <c>sh</c>).</summary>
    public static string ProcessKey(string executablePath, IReadOnlyList<string>? args) => throw new NotImplementedException();
    public static string FileKey(string path) => throw new NotImplementedException();
    public static string DnsKey(string questionName) => throw new NotImplementedException();
    /// <summary>Network key: <c>tcp/443/public</c> — protocol, port, address class.</summary>
    public static string NetworkKey(NetworkTransport transport, int port, string? address) => throw new NotImplementedException();

    /// <summary>The id of the node a signal's behaviour maps to, walking its ancestry from the root.</summary>
    public static ulong ForBehaviour(Behaviour behaviour) => throw new NotImplementedException();
}
