using WorkloadProfiles.Contracts.Binary;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Profiles;
using static WorkloadProfiles.Contracts.Mapping.CommonMapping;
using static WorkloadProfiles.Contracts.Mapping.SnapshotMapping;

namespace WorkloadProfiles.Contracts.Mapping;

/// <summary>SecurityProfile ⇄ schemas/SecurityProfile.avsc.</summary>
internal static class ProfileMapping
{
    public const int StatusSymbols = 3, Statuses = 2;

    public static void Write(AvroWriter writer, SecurityProfile p)
    {
        WriteImage(writer, p.Key.ImageName, p.Key.ImageTag);
        WriteStatus(writer, p.Status);
        writer.WriteLong(p.SnapshotCount);
        writer.WriteLong(p.ContainerCount);
        writer.WriteLong(p.HostCount);
        writer.WriteLong(p.RejectedSnapshots);
        writer.WriteLong(p.DuplicateSnapshots);
        writer.WriteLong(p.FirstProcessedUs);
        writer.WriteLong(p.LastUpdatedUs);
        WriteNullableLong(writer, p.StableSinceUs);
        writer.WriteDouble(p.Commonality);
        writer.WriteLong(p.Revision);
        WriteArray(writer, p.Nodes, "nodes", WriteNode);
        WriteStringArray(writer, p.SnapshotIds, "snapshot_ids");
        WriteStringArray(writer, p.ContainerIds, "container_ids");
        WriteStringArray(writer, p.HostNames, "host_names");
        writer.WriteLong(p.DroppedNodes);
    }

    public static SecurityProfile Read(ref AvroReader reader) => new()
    {
        Key = new ProfileKey(reader.ReadString(), reader.ReadString()),
        Status = ReadStatus(ref reader),
        SnapshotCount = reader.ReadLong(),
        ContainerCount = reader.ReadLong(),
        HostCount = reader.ReadLong(),
        RejectedSnapshots = reader.ReadLong(),
        DuplicateSnapshots = reader.ReadLong(),
        FirstProcessedUs = reader.ReadLong(),
        LastUpdatedUs = reader.ReadLong(),
        StableSinceUs = reader.ReadNullableLong(),
        Commonality = reader.ReadDouble(),
        Revision = reader.ReadLong(),
        Nodes = reader.ReadArray(ReadNode),
        SnapshotIds = reader.ReadStringArray(),
        ContainerIds = reader.ReadStringArray(),
        HostNames = reader.ReadStringArray(),
        DroppedNodes = reader.ReadLong(),
    };

    public static void WriteStatus(AvroWriter writer, ProfileStatus status) =>
        WriteEnum(writer, (int)status, Statuses, nameof(ProfileStatus));

    public static ProfileStatus ReadStatus(ref AvroReader reader) =>
        (ProfileStatus)ReadEnum(ref reader, StatusSymbols, Statuses, nameof(ProfileStatus));

    private static void WriteNode(AvroWriter writer, ProfileNode n)
    {
        WriteNodeId(writer, n.Id);
        WriteNodeId(writer, n.ParentId);
        WriteNodeKind(writer, n.Kind);
        writer.WriteString(Required(n.Key, "nodes[].key"));
        writer.WriteLong(n.SnapshotCount);
        writer.WriteLong(n.ContainerCount);
        writer.WriteLong(n.EventCount);
        writer.WriteLong(n.FirstSeenUs);
        writer.WriteLong(n.LastSeenUs);
        WriteAccess(writer, n.Access);
        writer.WriteDouble(n.Commonality);
        writer.WriteDouble(n.ContainerCommonality);
        writer.WriteBytes(n.ContainerBits);
        WriteArray(writer, n.Signatures, "nodes[].signatures", static (w, signature) =>
        {
            w.WriteString(Required(signature.Text, "nodes[].signatures[].text"));
            w.WriteLong(signature.SnapshotCount);
            w.WriteDouble(signature.Commonality);
        });
        writer.WriteBoolean(n.SignaturesOverflowed);
    }

    private static ProfileNode ReadNode(ref AvroReader reader) => new()
    {
        Id = ReadNodeId(ref reader),
        ParentId = ReadNodeId(ref reader),
        Kind = ReadNodeKind(ref reader),
        Key = reader.ReadString(),
        SnapshotCount = reader.ReadLong(),
        ContainerCount = reader.ReadLong(),
        EventCount = reader.ReadLong(),
        FirstSeenUs = reader.ReadLong(),
        LastSeenUs = reader.ReadLong(),
        Access = ReadAccess(ref reader),
        Commonality = reader.ReadDouble(),
        ContainerCommonality = reader.ReadDouble(),
        ContainerBits = reader.ReadBytes(),
        Signatures = reader.ReadArray(static (ref AvroReader r) => new ProfileSignature(r.ReadString(), r.ReadLong(), r.ReadDouble())),
        SignaturesOverflowed = reader.ReadBoolean(),
    };
}
