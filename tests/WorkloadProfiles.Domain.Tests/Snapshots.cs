using System.Text.Json;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Profiles;
using WorkloadProfiles.Domain.Snapshots;

namespace WorkloadProfiles.Domain.Tests;

/// <summary>Hand-made snapshots for profile tests: nodes named by a letter, all leaves of one process.</summary>
internal static class Snapshots
{
    public static readonly ProfileKey Nginx = new("nginx", "1.27");
    public static readonly ulong Process = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/usr/sbin/nginx");

    public static ActivitySnapshot Of(string snapshotId, string containerId, params string[] files) =>
        Of(snapshotId, containerId, "host-1", Nginx, files);

    public static ActivitySnapshot Of(string snapshotId, string containerId, string host, ProfileKey key, params string[] files) => new()
    {
        SnapshotId = snapshotId,
        Container = new ContainerRef(containerId, key.ImageName, key.ImageTag),
        HostName = host,
        WindowStartUs = 0,
        WindowEndUs = 1_800_000_000,
        EventCount = files.Length,
        Nodes = files.Select(f => File(f)).ToArray(),
    };

    public static SnapshotNode File(string key, long first = 10, long last = 20, FileAccessMode access = FileAccessMode.Read) => new()
    {
        Id = NodeIdentity.Compute(Process, NodeKind.File, key),
        ParentId = Process,
        Kind = NodeKind.File,
        Key = key,
        EventCount = 1,
        FirstSeenUs = first,
        LastSeenUs = last,
        Access = access,
    };

    public static ulong IdOf(string key) => NodeIdentity.Compute(Process, NodeKind.File, key);

    /// <summary>A canonical text of a profile (every field, lists in order) for exact comparisons.</summary>
    public static string Canonical(SecurityProfile profile) => JsonSerializer.Serialize(profile);
}
