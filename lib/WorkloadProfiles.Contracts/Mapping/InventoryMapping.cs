using WorkloadProfiles.Contracts.Binary;
using WorkloadProfiles.Domain;
using WorkloadProfiles.Domain.Events;
using static WorkloadProfiles.Contracts.Mapping.CommonMapping;

namespace WorkloadProfiles.Contracts.Mapping;

/// <summary>ContainerInfo and DeadLetter ⇄ their schemas.</summary>
internal static class InventoryMapping
{
    private const int StateSymbols = 3, States = 2;

    public static void WriteContainerInfo(AvroWriter writer, ContainerInfo c)
    {
        WriteContainer(writer, c.Container);
        writer.WriteString(Required(c.Name, "name"));
        WriteHost(writer, c.HostName);
        WriteEnum(writer, (int)c.State, States, nameof(ContainerState));
        writer.WriteBoolean(c.Profiled);
        writer.WriteLong(c.StartedAtUs);
        WriteNullableLong(writer, c.ProfilingSinceUs);
        WriteNullableLong(writer, c.ExitedAtUs);
        writer.WriteLong(c.UpdatedAtUs);
        writer.WriteLong(unchecked((long)c.CgroupId));
        WriteOrchestrator(writer, c.Container.Kubernetes);
    }

    public static ContainerInfo ReadContainerInfo(ref AvroReader reader)
    {
        var info = new ContainerInfo
        {
            Container = ReadContainer(ref reader),
            Name = reader.ReadString(),
            HostName = ReadHost(ref reader),
            State = (ContainerState)ReadEnum(ref reader, StateSymbols, States, nameof(ContainerState)),
            Profiled = reader.ReadBoolean(),
            StartedAtUs = reader.ReadLong(),
            ProfilingSinceUs = reader.ReadNullableLong(),
            ExitedAtUs = reader.ReadNullableLong(),
            UpdatedAtUs = reader.ReadLong(),
            CgroupId = unchecked((ulong)reader.ReadLong()),
        };
        return info with { Container = WithOrchestrator(info.Container, ref reader) };
    }

    public static void WriteDeadLetter(AvroWriter writer, DeadLetter d)
    {
        writer.WriteString(Required(d.SourceTopic, "source_topic"));
        writer.WriteInt(d.Partition);
        writer.WriteLong(d.Offset);
        WriteNullableBytes(writer, d.Key);
        WriteNullableBytes(writer, d.Value);
        writer.WriteString(Required(d.Reason, "reason"));
        writer.WriteString(Required(d.Detail, "detail"));
        writer.WriteString(Required(d.Consumer, "consumer"));
        writer.WriteLong(d.TimestampUs);
        writer.WriteLong(d.KeySize);
        writer.WriteLong(d.ValueSize);
        writer.WriteString(Required(d.ValueSha256, "value_sha256"));
    }

    public static DeadLetter ReadDeadLetter(ref AvroReader reader) => new()
    {
        SourceTopic = reader.ReadString(),
        Partition = reader.ReadInt(),
        Offset = reader.ReadLong(),
        Key = reader.ReadUnionIndex(2) == 0 ? null : reader.ReadBytes(),
        Value = reader.ReadUnionIndex(2) == 0 ? null : reader.ReadBytes(),
        Reason = reader.ReadString(),
        Detail = reader.ReadString(),
        Consumer = reader.ReadString(),
        TimestampUs = reader.ReadLong(),
        KeySize = reader.ReadLong(),
        ValueSize = reader.ReadLong(),
        ValueSha256 = reader.ReadString(),
    };

    private static void WriteNullableBytes(AvroWriter writer, byte[]? bytes)
    {
        if (bytes is null)
        {
            writer.WriteUnionIndex(0);
            return;
        }
        writer.WriteUnionIndex(1);
        writer.WriteBytes(bytes);
    }
}
