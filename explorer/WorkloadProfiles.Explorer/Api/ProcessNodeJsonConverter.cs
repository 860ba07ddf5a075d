using System.Text.Json;
using System.Text.Json.Serialization;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>
/// Writes a <see cref="ProcessNode"/> subtree as the nested JSON the serializer would write (camelCase, the record's
/// property order) with an explicit stack instead of recursion: the serializer's own nesting limit (64 levels) and call
/// stack would otherwise let a container's deep process chain turn its profile's page and export into an error.
/// The subtree goes in as one compact raw value (never indented: indenting a chain thousands deep is quadratic).
/// </summary>
internal sealed class ProcessNodeJsonConverter : JsonConverter<ProcessNode>
{
    public override ProcessNode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Process trees are only written.");

    static readonly JsonWriterOptions Compact = new() { MaxDepth = int.MaxValue, SkipValidation = true };

    public override void Write(Utf8JsonWriter output, ProcessNode value, JsonSerializerOptions options)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Compact with { Encoder = options.Encoder }))
        {
            WriteTree(writer, value, options);
        }

        output.WriteRawValue(buffer.WrittenSpan, skipInputValidation: true);
    }

    static void WriteTree(Utf8JsonWriter writer, ProcessNode value, JsonSerializerOptions options)
    {
        string Name(string property) => options.PropertyNamingPolicy?.ConvertName(property) ?? property;
        var stack = new Stack<(ProcessNode Node, int Next)>();
        Open(value);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Children.Count)
            {
                stack.Push((node, next + 1));
                Open(node.Children[next]);
                continue;
            }

            writer.WriteEndArray();
            Leaves(nameof(ProcessNode.Files), node.Files);
            Leaves(nameof(ProcessNode.Dns), node.Dns);
            Leaves(nameof(ProcessNode.Network), node.Network);
            writer.WritePropertyName(Name(nameof(ProcessNode.Signatures)));
            if (node.Signatures is null) writer.WriteNullValue();
            else writer.WriteRawValue(JsonSerializer.SerializeToUtf8Bytes(node.Signatures, Leaf(options)), skipInputValidation: true);
            writer.WriteBoolean(Name(nameof(ProcessNode.SignaturesOverflowed)), node.SignaturesOverflowed);
            writer.WriteEndObject();
        }

        void Open(ProcessNode node)
        {
            writer.WriteStartObject();
            writer.WriteString(Name(nameof(ProcessNode.Id)), node.Id);
            writer.WriteString(Name(nameof(ProcessNode.Key)), node.Key);
            writer.WriteString(Name(nameof(ProcessNode.Executable)), node.Executable);
            writer.WriteNumber(Name(nameof(ProcessNode.Commonality)), node.Commonality);
            writer.WriteNumber(Name(nameof(ProcessNode.ContainerCommonality)), node.ContainerCommonality);
            writer.WriteNumber(Name(nameof(ProcessNode.SnapshotCount)), node.SnapshotCount);
            writer.WriteNumber(Name(nameof(ProcessNode.ContainerCount)), node.ContainerCount);
            writer.WriteNumber(Name(nameof(ProcessNode.EventCount)), node.EventCount);
            writer.WriteString(Name(nameof(ProcessNode.FirstSeen)), node.FirstSeen);
            writer.WriteString(Name(nameof(ProcessNode.LastSeen)), node.LastSeen);
            writer.WriteStartArray(Name(nameof(ProcessNode.Children)));
            stack.Push((node, 0));
        }

        void Leaves(string property, IReadOnlyList<BehaviourLeaf> leaves)
        {
            writer.WritePropertyName(Name(property));
            // Serialized on their own: the serializer refuses to write into a writer already deeper than its limit.
            if (leaves.Count == 0) writer.WriteRawValue("[]"u8, skipInputValidation: true);
            else writer.WriteRawValue(JsonSerializer.SerializeToUtf8Bytes(leaves, Leaf(options)), skipInputValidation: true);
        }
    }

    // Leaves are flat; they are written with the caller's options minus indentation (the subtree is compact).
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> CompactOptions = new();

    static JsonSerializerOptions Leaf(JsonSerializerOptions options) =>
        !options.WriteIndented ? options : CompactOptions.GetValue(options, static o => new JsonSerializerOptions(o) { WriteIndented = false });
}
