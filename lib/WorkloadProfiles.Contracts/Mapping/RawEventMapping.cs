using WorkloadProfiles.Contracts.Binary;
using WorkloadProfiles.Domain.Events;
using static WorkloadProfiles.Contracts.Mapping.CommonMapping;

namespace WorkloadProfiles.Contracts.Mapping;

/// <summary>RawEvent and RawEventBatch ⇄ schemas/RawEvent.avsc, schemas/RawEventBatch.avsc.</summary>
internal static class RawEventMapping
{
    private const int EventKindSymbols = 8, EventKinds = 7;
    private const int TransportSymbols = 3;
    private const int ResolutionSymbols = 4, Resolutions = 3;

    public static void WriteBatch(AvroWriter writer, RawEventBatch batch)
    {
        WriteContainer(writer, batch.Container);
        WriteHost(writer, batch.HostName);
        writer.WriteString(Required(batch.AgentId, "agent_id"));
        writer.WriteLong(batch.Sequence);
        writer.WriteLong(batch.DroppedEvents);
        writer.WriteBoolean(batch.Profiling);
        var events = Required(batch.Events, "events");
        writer.WriteArrayStart(events.Count);
        for (var i = 0; i < events.Count; i++) WriteEvent(writer, Required(events[i], "events[]"));
        writer.WriteArrayEnd();
        WriteOrchestrator(writer, batch.Container.Kubernetes);
    }

    public static RawEventBatch ReadBatch(ref AvroReader reader)
    {
        var batch = new RawEventBatch
        {
            Container = ReadContainer(ref reader),
            HostName = reader.ReadPooledString(),
            AgentId = reader.ReadPooledString(),
            Sequence = reader.ReadLong(),
            DroppedEvents = reader.ReadLong(),
            Profiling = reader.ReadBoolean(),
            Events = reader.ReadArray(ReadEvent),
        };
        return batch with { Container = WithOrchestrator(batch.Container, ref reader) };
    }

    public static void WriteEvent(AvroWriter writer, RawEvent e)
    {
        WriteEnum(writer, (int)e.Kind, EventKinds, nameof(EventKind));
        writer.WriteLong(e.TimestampUs);

        // process
        writer.WriteInt(e.Pid);
        writer.WriteInt(e.Tid);
        writer.WriteInt(e.Ppid);
        writer.WriteLong(e.Uid);
        writer.WriteLong(e.Gid);
        writer.WriteString(Required(e.Comm, "process.name"));
        WriteNullableString(writer, e.ExecutablePath);
        if (e.Args is null)
        {
            writer.WriteUnionIndex(0);
        }
        else
        {
            writer.WriteUnionIndex(1);
            WriteStringArray(writer, e.Args, "process.args");
        }
        writer.WriteInt(e.ExitCode);
        writer.WriteInt(e.ChildPid);
        writer.WriteLong(e.ProcessStartUs);
        WriteNullableString(writer, e.WorkingDirectory);

        // Optional groups are null exactly when every field has its default, so the mapping is lossless both ways.
        if (e.FilePath is null && e.FileFlags == 0 && e.FileResolution == PathResolution.OpenedFile)
        {
            writer.WriteUnionIndex(0);
        }
        else
        {
            writer.WriteUnionIndex(1);
            WriteNullableString(writer, e.FilePath);
            writer.WriteInt(e.FileFlags);
            WriteEnum(writer, (int)e.FileResolution, Resolutions, nameof(PathResolution));
        }

        if (e.DnsQuestionName is null && e.DnsQuestionType == 0)
        {
            writer.WriteUnionIndex(0);
        }
        else
        {
            writer.WriteUnionIndex(1);
            WriteNullableString(writer, e.DnsQuestionName);
            writer.WriteInt(e.DnsQuestionType);
        }

        WriteNetwork(writer, e.Transport);
        WriteDestination(writer, e.DestinationAddress, e.DestinationPort);
        writer.WriteBoolean(e.Rescan);
    }

    public static RawEvent ReadEvent(ref AvroReader reader)
    {
        var kind = (EventKind)ReadEnum(ref reader, EventKindSymbols, EventKinds, nameof(EventKind));
        var timestamp = reader.ReadLong();
        var pid = reader.ReadInt();
        var tid = reader.ReadInt();
        var ppid = reader.ReadInt();
        var uid = ReadUInt32(ref reader, "process.uid");
        var gid = ReadUInt32(ref reader, "process.gid");
        var comm = reader.ReadPooledString();
        var executable = reader.ReadNullablePooledString();
        var args = reader.ReadUnionIndex(2) == 0 ? null : reader.ReadPooledStringArray();
        var exitCode = reader.ReadInt();
        var childPid = reader.ReadInt();
        var start = reader.ReadLong();
        var workingDirectory = reader.ReadNullablePooledString();

        string? filePath = null;
        var fileFlags = 0;
        var resolution = PathResolution.OpenedFile;
        if (reader.ReadUnionIndex(2) == 1)
        {
            filePath = reader.ReadNullablePooledString();
            fileFlags = reader.ReadInt();
            resolution = (PathResolution)ReadEnum(ref reader, ResolutionSymbols, Resolutions, nameof(PathResolution));
        }

        string? dnsName = null;
        var dnsType = 0;
        if (reader.ReadUnionIndex(2) == 1)
        {
            dnsName = reader.ReadNullablePooledString();
            dnsType = reader.ReadInt();
        }

        var transport = ReadNetwork(ref reader);
        var (address, port) = ReadDestination(ref reader);
        var rescan = reader.ReadBoolean();

        return new RawEvent
        {
            Kind = kind,
            TimestampUs = timestamp,
            Pid = pid,
            Tid = tid,
            Ppid = ppid,
            Uid = uid,
            Gid = gid,
            Comm = comm,
            ProcessStartUs = start,
            ExecutablePath = executable,
            Args = args,
            WorkingDirectory = workingDirectory,
            ExitCode = exitCode,
            ChildPid = childPid,
            FilePath = filePath,
            FileFlags = fileFlags,
            FileResolution = resolution,
            DnsQuestionName = dnsName,
            DnsQuestionType = dnsType,
            Transport = transport,
            DestinationAddress = address,
            DestinationPort = port,
            Rescan = rescan,
        };
    }

    // Network {transport}: null when the transport is UNKNOWN. Shared with the signal's behaviour.
    public static void WriteNetwork(AvroWriter writer, NetworkTransport transport)
    {
        if (transport == NetworkTransport.Unknown)
        {
            writer.WriteUnionIndex(0);
            return;
        }
        writer.WriteUnionIndex(1);
        WriteEnum(writer, (int)transport, TransportSymbols, nameof(NetworkTransport));
    }

    public static NetworkTransport ReadNetwork(ref AvroReader reader) =>
        reader.ReadUnionIndex(2) == 0
            ? NetworkTransport.Unknown
            : (NetworkTransport)ReadEnum(ref reader, TransportSymbols, TransportSymbols, nameof(NetworkTransport));

    // Destination {address?, port}: null when both have their default.
    public static void WriteDestination(AvroWriter writer, string? address, int port)
    {
        if (address is null && port == 0)
        {
            writer.WriteUnionIndex(0);
            return;
        }
        writer.WriteUnionIndex(1);
        WriteNullableString(writer, address);
        writer.WriteInt(port);
    }

    public static (string? Address, int Port) ReadDestination(ref AvroReader reader)
    {
        if (reader.ReadUnionIndex(2) == 0) return (null, 0);
        var address = reader.ReadNullablePooledString();
        return (address, reader.ReadInt());
    }
}
