using WorkloadProfiles.Contracts.Binary;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Contracts.Mapping;

/// <summary>Named types several schemas share (Container, Host, Image, the enums) and the null/enum rules every mapping follows.</summary>
internal static class CommonMapping
{
    // Every Avro enum lists the domain enum's values in order, then an evolution default symbol (UNKNOWN) unless the
    // domain has one: symbol index == domain value. Readers reject the default symbol rather than guess a meaning.
    // Symbols added later go after UNKNOWN (enums only append) and need an explicit index ↔ value translation here.

    public static void WriteEnum(AvroWriter writer, int value, int domainValues, string enumName)
    {
        if ((uint)value >= (uint)domainValues) throw Invalid($"{enumName} value {value} is not defined");
        writer.WriteLong(value);
    }

    public static int ReadEnum(ref AvroReader reader, int symbols, int domainValues, string enumName)
    {
        var index = reader.ReadEnumIndex(symbols, enumName);
        if (index >= domainValues)
        {
            throw new ContractException(ContractErrorReasons.UnsupportedValue,
                $"{enumName} symbol #{index} (the evolution default UNKNOWN) has no meaning to this reader; upgrade it to read this record");
        }
        return index;
    }

    public static string Required(string? value, string field) => value ?? throw Invalid($"required field {field} is null");

    public static T Required<T>(T? value, string field) where T : class => value ?? throw Invalid($"required field {field} is null");

    public static ContractException Invalid(string message) => new(ContractErrorReasons.InvalidValue, message);

    public static void WriteNullableString(AvroWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteUnionIndex(0);
            return;
        }
        writer.WriteUnionIndex(1);
        writer.WriteString(value);
    }

    public static void WriteNullableLong(AvroWriter writer, long? value)
    {
        if (value is not { } v)
        {
            writer.WriteUnionIndex(0);
            return;
        }
        writer.WriteUnionIndex(1);
        writer.WriteLong(v);
    }

    public static void WriteNullableDouble(AvroWriter writer, double? value)
    {
        if (value is not { } v)
        {
            writer.WriteUnionIndex(0);
            return;
        }
        writer.WriteUnionIndex(1);
        writer.WriteDouble(v);
    }

    public static void WriteStringArray(AvroWriter writer, IReadOnlyList<string>? items, string field)
    {
        Required(items, field);
        writer.WriteArrayStart(items!.Count);
        for (var i = 0; i < items.Count; i++) writer.WriteString(Required(items[i], $"{field}[{i}]"));
        writer.WriteArrayEnd();
    }

    public static void WriteArray<T>(AvroWriter writer, IReadOnlyList<T>? items, string field, Action<AvroWriter, T> writeItem)
        where T : class
    {
        Required(items, field);
        writer.WriteArrayStart(items!.Count);
        for (var i = 0; i < items.Count; i++) writeItem(writer, Required(items[i], $"{field}[{i}]"));
        writer.WriteArrayEnd();
    }

    /// <summary>Node ids are unsigned 64-bit hashes; Avro has no unsigned long, so the bits travel as a signed long.</summary>
    public static void WriteNodeId(AvroWriter writer, ulong id) => writer.WriteLong(unchecked((long)id));

    public static ulong ReadNodeId(ref AvroReader reader) => unchecked((ulong)reader.ReadLong());

    // Container {id, image: ContainerImage {name?, tag?}}
    public static void WriteContainer(AvroWriter writer, ContainerRef? container)
    {
        Required(container, "container");
        writer.WriteString(Required(container!.Id, "container.id"));
        WriteNullableString(writer, container.ImageName);
        WriteNullableString(writer, container.ImageTag);
    }

    public static ContainerRef ReadContainer(ref AvroReader reader)
    {
        // Repeated in every record of a container: pooled.
        var id = reader.ReadPooledString();
        var name = reader.ReadNullablePooledString();
        var tag = reader.ReadNullablePooledString();
        return new ContainerRef(id, name, tag);
    }

    // ["null", Orchestrator {namespace, pod_name, pod_uid, container_name, labels: map, workload_kind?, workload_name?}],
    // the last field of every record that carries a container (RawEventBatch, SecuritySignal, ActivitySnapshot,
    // ContainerInfo): the Kubernetes metadata of ContainerRef travels next to the shared Container record, not inside it.
    public static void WriteOrchestrator(AvroWriter writer, KubernetesMeta? kubernetes)
    {
        if (kubernetes is null)
        {
            writer.WriteUnionIndex(0);
            return;
        }
        writer.WriteUnionIndex(1);
        writer.WriteString(Required(kubernetes.Namespace, "orchestrator.namespace"));
        writer.WriteString(Required(kubernetes.PodName, "orchestrator.pod_name"));
        writer.WriteString(Required(kubernetes.PodUid, "orchestrator.pod_uid"));
        writer.WriteString(Required(kubernetes.ContainerName, "orchestrator.container_name"));
        var labels = Required(kubernetes.Labels, "orchestrator.labels");
        // A map is written like an array of (key, value); sorted keys make the bytes deterministic.
        writer.WriteArrayStart(labels.Count);
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            writer.WriteString(Required(key, "orchestrator.labels key"));
            writer.WriteString(Required(value, $"orchestrator.labels[{key}]"));
        }
        writer.WriteArrayEnd();
        WriteNullableString(writer, kubernetes.WorkloadKind);
        WriteNullableString(writer, kubernetes.WorkloadName);
    }

    public static KubernetesMeta? ReadOrchestrator(ref AvroReader reader)
    {
        if (reader.ReadUnionIndex(2) == 0) return null;
        var ns = reader.ReadString();
        var podName = reader.ReadString();
        var podUid = reader.ReadString();
        var containerName = reader.ReadString();
        var pairs = reader.ReadArray(static (ref AvroReader r) => new KeyValuePair<string, string>(r.ReadString(), r.ReadString()));
        var labels = new Dictionary<string, string>(pairs.Count, StringComparer.Ordinal);
        foreach (var (key, value) in pairs) labels[key] = value; // a repeated key: the later value wins, as in Avro maps
        return new KubernetesMeta
        {
            Namespace = ns,
            PodName = podName,
            PodUid = podUid,
            ContainerName = containerName,
            Labels = labels,
            WorkloadKind = reader.ReadNullableString(),
            WorkloadName = reader.ReadNullableString(),
        };
    }

    /// <summary>The container read earlier in a record, completed with the record's trailing orchestrator field.</summary>
    public static ContainerRef WithOrchestrator(ContainerRef container, ref AvroReader reader) =>
        ReadOrchestrator(ref reader) is { } kubernetes ? container with { Kubernetes = kubernetes } : container;

    // Host {name}
    public static void WriteHost(AvroWriter writer, string? hostName) => writer.WriteString(Required(hostName, "host.name"));

    public static string ReadHost(ref AvroReader reader) => reader.ReadString();

    // Image {name, tag}
    public static void WriteImage(AvroWriter writer, string? name, string? tag)
    {
        writer.WriteString(Required(name, "image.name"));
        writer.WriteString(Required(tag, "image.tag"));
    }

    public static uint ReadUInt32(ref AvroReader reader, string field)
    {
        var value = reader.ReadLong();
        if (value is < 0 or > uint.MaxValue) throw new AvroMalformedException($"{field} {value} is not an unsigned 32-bit id");
        return (uint)value;
    }
}
