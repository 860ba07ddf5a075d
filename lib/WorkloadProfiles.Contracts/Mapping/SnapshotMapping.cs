using WorkloadProfiles.Contracts.Binary;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Snapshots;
using static WorkloadProfiles.Contracts.Mapping.CommonMapping;

namespace WorkloadProfiles.Contracts.Mapping;

/// <summary>ActivitySnapshot ⇄ schemas/ActivitySnapshot.avsc.</summary>
internal static class SnapshotMapping
{
    public const int NodeKindSymbols = 5, NodeKinds = 4;
    public const int FileAccessSymbols = 5, FileAccessModes = 4;

    public static void Write(AvroWriter writer, ActivitySnapshot s)
    {
        writer.WriteString(Required(s.SnapshotId, "snapshot_id"));
        WriteContainer(writer, s.Container);
        WriteHost(writer, s.HostName);
        writer.WriteLong(s.WindowStartUs);
        writer.WriteLong(s.WindowEndUs);
        writer.WriteLong(s.FirstEventUs);
        writer.WriteLong(s.LastEventUs);
        writer.WriteLong(s.EventCount);
        writer.WriteBoolean(s.ClosedByExit);
        writer.WriteBoolean(s.Truncated);
        writer.WriteLong(s.DroppedNodes);
        writer.WriteLong(s.DroppedEvents);
        WriteArray(writer, s.Nodes, "nodes", WriteNode);
        writer.WriteLong(s.InvalidEvents);
        writer.WriteLong(s.TruncatedKeys);
        WriteOrchestrator(writer, s.Container.Kubernetes);
    }

    public static ActivitySnapshot Read(ref AvroReader reader)
    {
        var snapshot = new ActivitySnapshot
        {
            SnapshotId = reader.ReadString(),
            Container = ReadContainer(ref reader),
            HostName = ReadHost(ref reader),
            WindowStartUs = reader.ReadLong(),
            WindowEndUs = reader.ReadLong(),
            FirstEventUs = reader.ReadLong(),
            LastEventUs = reader.ReadLong(),
            EventCount = reader.ReadLong(),
            ClosedByExit = reader.ReadBoolean(),
            Truncated = reader.ReadBoolean(),
            DroppedNodes = reader.ReadLong(),
            DroppedEvents = reader.ReadLong(),
            Nodes = reader.ReadArray(ReadNode),
            InvalidEvents = reader.ReadLong(),
            TruncatedKeys = reader.ReadLong(),
        };
        return snapshot with { Container = WithOrchestrator(snapshot.Container, ref reader) };
    }

    private static void WriteNode(AvroWriter writer, SnapshotNode n)
    {
        WriteNodeId(writer, n.Id);
        WriteNodeId(writer, n.ParentId);
        WriteNodeKind(writer, n.Kind);
        writer.WriteString(Required(n.Key, "nodes[].key"));
        writer.WriteLong(n.EventCount);
        writer.WriteLong(n.FirstSeenUs);
        writer.WriteLong(n.LastSeenUs);
        WriteAccess(writer, n.Access);
        WriteStringArray(writer, n.Signatures, "nodes[].signatures");
        writer.WriteBoolean(n.SignaturesOverflowed);
    }

    private static SnapshotNode ReadNode(ref AvroReader reader) => new()
    {
        Id = ReadNodeId(ref reader),
        ParentId = ReadNodeId(ref reader),
        Kind = ReadNodeKind(ref reader),
        Key = reader.ReadString(),
        EventCount = reader.ReadLong(),
        FirstSeenUs = reader.ReadLong(),
        LastSeenUs = reader.ReadLong(),
        Access = ReadAccess(ref reader),
        Signatures = reader.ReadStringArray(),
        SignaturesOverflowed = reader.ReadBoolean(),
    };

    public static void WriteNodeKind(AvroWriter writer, NodeKind kind) => WriteEnum(writer, (int)kind, NodeKinds, nameof(NodeKind));

    public static NodeKind ReadNodeKind(ref AvroReader reader) => (NodeKind)ReadEnum(ref reader, NodeKindSymbols, NodeKinds, nameof(NodeKind));

    /// <summary>The [Flags] FileAccessMode travels as one enum symbol per combination: NONE, READ, WRITE, READ_WRITE.</summary>
    public static void WriteAccess(AvroWriter writer, FileAccessMode access) => WriteEnum(writer, (int)access, FileAccessModes, "FileAccess");

    public static FileAccessMode ReadAccess(ref AvroReader reader) =>
        (FileAccessMode)ReadEnum(ref reader, FileAccessSymbols, FileAccessModes, "FileAccess");
}
