using WorkloadProfiles.Contracts.Binary;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;
using static WorkloadProfiles.Contracts.Mapping.CommonMapping;
using static WorkloadProfiles.Contracts.Mapping.SnapshotMapping;

namespace WorkloadProfiles.Contracts.Mapping;

/// <summary>SecuritySignal, EnrichedSignal and Suppression ⇄ their schemas.</summary>
internal static class SignalMapping
{
    private const int SeveritySymbols = 6, Severities = 5;

    public static void WriteSignal(AvroWriter writer, SecuritySignal s)
    {
        writer.WriteString(Required(s.SignalId, "signal_id"));
        writer.WriteString(Required(s.RuleId, "rule.id"));
        writer.WriteString(Required(s.RuleName, "rule.name"));
        writer.WriteString(Required(s.RuleDescription, "rule.description"));
        WriteEnum(writer, (int)s.Severity, Severities, nameof(Severity));
        writer.WriteLong(s.TimestampUs);
        writer.WriteString(Required(s.Source, "source"));
        WriteContainer(writer, s.Container);
        WriteHost(writer, s.HostName);
        writer.WriteString(Required(s.Message, "message"));
        WriteStringArray(writer, s.Tags, "tags");
        WriteBehaviour(writer, Required(s.Behaviour, "behaviour"));
        WriteProcess(writer, s.Process);
        WriteOrchestrator(writer, s.Container.Kubernetes);
    }

    public static SecuritySignal ReadSignal(ref AvroReader reader)
    {
        var signal = new SecuritySignal
        {
            SignalId = reader.ReadString(),
            RuleId = reader.ReadString(),
            RuleName = reader.ReadString(),
            RuleDescription = reader.ReadString(),
            Severity = (Severity)ReadEnum(ref reader, SeveritySymbols, Severities, nameof(Severity)),
            TimestampUs = reader.ReadLong(),
            Source = reader.ReadString(),
            Container = ReadContainer(ref reader),
            HostName = ReadHost(ref reader),
            Message = reader.ReadString(),
            Tags = reader.ReadStringArray(),
            Behaviour = ReadBehaviour(ref reader),
            Process = ReadProcess(ref reader),
        };
        return signal with { Container = WithOrchestrator(signal.Container, ref reader) };
    }

    // process: ["null", Process] — the Process record of schemas/RawEvent.avsc (exit_code and child_pid stay 0).
    private static void WriteProcess(AvroWriter writer, ActingProcess? p)
    {
        if (p is null)
        {
            writer.WriteUnionIndex(0);
            return;
        }
        writer.WriteUnionIndex(1);
        writer.WriteInt(p.Pid);
        writer.WriteInt(p.Tid);
        writer.WriteInt(p.Ppid);
        writer.WriteLong(p.Uid);
        writer.WriteLong(p.Gid);
        writer.WriteString(Required(p.Name, "process.name"));
        WriteNullableString(writer, Required(p.ExecutablePath, "process.executable.path"));
        writer.WriteUnionIndex(1);
        WriteStringArray(writer, p.Args, "process.args");
        writer.WriteInt(0);
        writer.WriteInt(0);
        writer.WriteLong(p.StartUs);
        WriteNullableString(writer, p.WorkingDirectory);
    }

    private static ActingProcess? ReadProcess(ref AvroReader reader)
    {
        if (reader.ReadUnionIndex(2) == 0) return null;
        var pid = reader.ReadInt();
        var tid = reader.ReadInt();
        var ppid = reader.ReadInt();
        var uid = ReadUInt32(ref reader, "process.uid");
        var gid = ReadUInt32(ref reader, "process.gid");
        var name = reader.ReadString();
        var executable = reader.ReadNullableString() ?? "";
        var args = reader.ReadUnionIndex(2) == 0 ? [] : reader.ReadStringArray();
        reader.ReadInt();
        reader.ReadInt();
        return new ActingProcess
        {
            Pid = pid,
            Tid = tid,
            Ppid = ppid,
            Uid = uid,
            Gid = gid,
            Name = name,
            ExecutablePath = executable,
            Args = args,
            StartUs = reader.ReadLong(),
            WorkingDirectory = reader.ReadNullableString(),
        };
    }

    private static void WriteBehaviour(AvroWriter writer, Behaviour b)
    {
        WriteNodeKind(writer, b.Kind);
        WriteArray(writer, b.Ancestry, "behaviour.ancestry", static (w, p) =>
        {
            w.WriteString(Required(p.ExecutablePath, "behaviour.ancestry[].executable.path"));
            WriteStringArray(w, p.Args, "behaviour.ancestry[].args");
            w.WriteInt(p.Pid);
            w.WriteLong(p.StartUs);
        });

        if (b.FilePath is null && b.Access == FileAccessMode.None)
        {
            writer.WriteUnionIndex(0);
        }
        else
        {
            writer.WriteUnionIndex(1);
            WriteNullableString(writer, b.FilePath);
            WriteAccess(writer, b.Access);
        }

        // Dns {question {name?, type}}: a signal knows the name only, so type is always 0.
        if (b.DnsQuestionName is null)
        {
            writer.WriteUnionIndex(0);
        }
        else
        {
            writer.WriteUnionIndex(1);
            WriteNullableString(writer, b.DnsQuestionName);
            writer.WriteInt(0);
        }

        RawEventMapping.WriteNetwork(writer, b.Transport);
        RawEventMapping.WriteDestination(writer, b.DestinationAddress, b.DestinationPort);
    }

    private static Behaviour ReadBehaviour(ref AvroReader reader)
    {
        var kind = ReadNodeKind(ref reader);
        var ancestry = reader.ReadArray(static (ref AvroReader r) => new ProcessRef(r.ReadString(), r.ReadStringArray())
        {
            Pid = r.ReadInt(),
            StartUs = r.ReadLong(),
        });

        string? filePath = null;
        var access = FileAccessMode.None;
        if (reader.ReadUnionIndex(2) == 1)
        {
            filePath = reader.ReadNullableString();
            access = ReadAccess(ref reader);
        }

        string? dnsName = null;
        if (reader.ReadUnionIndex(2) == 1)
        {
            dnsName = reader.ReadNullableString();
            reader.ReadInt();
        }

        var transport = RawEventMapping.ReadNetwork(ref reader);
        var (address, port) = RawEventMapping.ReadDestination(ref reader);
        return new Behaviour
        {
            Kind = kind,
            Ancestry = ancestry,
            FilePath = filePath,
            Access = access,
            DnsQuestionName = dnsName,
            Transport = transport,
            DestinationAddress = address,
            DestinationPort = port,
        };
    }

    public static void WriteEnriched(AvroWriter writer, EnrichedSignal e)
    {
        WriteSignal(writer, Required(e.Signal, "signal"));

        if (e.Profile is not { } p)
        {
            writer.WriteUnionIndex(0);
        }
        else
        {
            writer.WriteUnionIndex(1);
            WriteImage(writer, p.ImageName, p.ImageTag);
            ProfileMapping.WriteStatus(writer, p.Status);
            writer.WriteLong(p.SnapshotCount);
            writer.WriteDouble(p.ProfileCommonality);
            writer.WriteLong(p.LastUpdatedUs);
            writer.WriteBoolean(p.BehaviourInProfile);
            WriteNullableLong(writer, p.NodeId is { } id ? unchecked((long)id) : null);
            WriteNullableDouble(writer, p.NodeCommonality);
            WriteNullableDouble(writer, p.NodeContainerCommonality);
            WriteNullableLong(writer, p.NodeFirstSeenUs);
            WriteNullableLong(writer, p.NodeLastSeenUs);
            writer.WriteString(Required(p.ProfileLink, "profile.link"));
            writer.WriteDouble(p.Threshold);
            WriteNullableLong(writer, p.ClosestKnownNodeId is { } closest ? unchecked((long)closest) : null);
            WriteNullableString(writer, p.ClosestKnownNodeKey);
        }

        if (e.Suggestion is not { } s)
        {
            writer.WriteUnionIndex(0);
        }
        else
        {
            writer.WriteUnionIndex(1);
            writer.WriteString(Required(s.RuleId, "suggestion.rule_id"));
            writer.WriteString(Required(s.ImageName, "suggestion.image_name"));
            WriteNodeId(writer, s.NodeId);
            writer.WriteString(Required(s.Expression, "suggestion.expression"));
            writer.WriteString(Required(s.Description, "suggestion.description"));
            var evidence = Required(s.Evidence, "suggestion.evidence");
            writer.WriteDouble(evidence.NodeCommonality);
            writer.WriteDouble(evidence.NodeContainerCommonality);
            writer.WriteLong(evidence.SnapshotCount);
            writer.WriteLong(evidence.FirstSeenUs);
            writer.WriteLong(evidence.LastSeenUs);
            writer.WriteDouble(evidence.SignatureCommonality);
            WriteStringArray(writer, s.Signatures, "suggestion.signatures");
        }

        WriteNullableString(writer, e.NoSuggestionReason);
        writer.WriteLong(e.EnrichedAtUs);
    }

    public static EnrichedSignal ReadEnriched(ref AvroReader reader)
    {
        var signal = ReadSignal(ref reader);

        ProfileContext? profile = null;
        if (reader.ReadUnionIndex(2) == 1)
        {
            profile = new ProfileContext
            {
                ImageName = reader.ReadString(),
                ImageTag = reader.ReadString(),
                Status = ProfileMapping.ReadStatus(ref reader),
                SnapshotCount = reader.ReadLong(),
                ProfileCommonality = reader.ReadDouble(),
                LastUpdatedUs = reader.ReadLong(),
                BehaviourInProfile = reader.ReadBoolean(),
                NodeId = reader.ReadNullableLong() is { } id ? unchecked((ulong)id) : null,
                NodeCommonality = reader.ReadNullableDouble(),
                NodeContainerCommonality = reader.ReadNullableDouble(),
                NodeFirstSeenUs = reader.ReadNullableLong(),
                NodeLastSeenUs = reader.ReadNullableLong(),
                ProfileLink = reader.ReadString(),
                Threshold = reader.ReadDouble(),
                ClosestKnownNodeId = reader.ReadNullableLong() is { } closest ? unchecked((ulong)closest) : null,
                ClosestKnownNodeKey = reader.ReadNullableString(),
            };
        }

        SuppressionSuggestion? suggestion = null;
        if (reader.ReadUnionIndex(2) == 1)
        {
            suggestion = new SuppressionSuggestion
            {
                RuleId = reader.ReadString(),
                ImageName = reader.ReadString(),
                NodeId = ReadNodeId(ref reader),
                Expression = reader.ReadString(),
                Description = reader.ReadString(),
                Evidence = new SuggestionEvidence(reader.ReadDouble(), reader.ReadDouble(), reader.ReadLong(), reader.ReadLong(), reader.ReadLong(),
                    reader.ReadDouble()),
                Signatures = reader.ReadStringArray(),
            };
        }

        return new EnrichedSignal
        {
            Signal = signal,
            Profile = profile,
            Suggestion = suggestion,
            NoSuggestionReason = reader.ReadNullableString(),
            EnrichedAtUs = reader.ReadLong(),
        };
    }

    public static void WriteSuppression(AvroWriter writer, Suppression s)
    {
        writer.WriteString(Required(s.Id, "id"));
        writer.WriteString(Required(s.RuleId, "rule_id"));
        writer.WriteString(Required(s.ImageName, "image_name"));
        WriteNodeId(writer, s.NodeId);
        writer.WriteString(Required(s.Expression, "expression"));
        writer.WriteString(Required(s.Description, "description"));
        writer.WriteString(Required(s.CreatedBy, "created_by"));
        writer.WriteLong(s.CreatedAtUs);
        writer.WriteBoolean(s.Removed);
        WriteNullableString(writer, s.RemovedBy);
        WriteNullableLong(writer, s.RemovedAtUs);
        WriteNullableString(writer, s.FromSignalId);
        WriteStringArray(writer, s.Signatures, "signatures");
    }

    public static Suppression ReadSuppression(ref AvroReader reader) => new()
    {
        Id = reader.ReadString(),
        RuleId = reader.ReadString(),
        ImageName = reader.ReadString(),
        NodeId = ReadNodeId(ref reader),
        Expression = reader.ReadString(),
        Description = reader.ReadString(),
        CreatedBy = reader.ReadString(),
        CreatedAtUs = reader.ReadLong(),
        Removed = reader.ReadBoolean(),
        RemovedBy = reader.ReadNullableString(),
        RemovedAtUs = reader.ReadNullableLong(),
        FromSignalId = reader.ReadNullableString(),
        Signatures = reader.ReadStringArray(),
    };
}
