using System.Text.Json;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Contracts.Json;

/// <summary>Small writing steps the JSON shapes share.</summary>
internal static class JsonParts
{
    /// <summary><c>"image": {"name", "tag"}</c> with whichever the agent resolved; nothing when neither.</summary>
    public static void WriteImage(Utf8JsonWriter w, ContainerRef container)
    {
        if (container.ImageName is null && container.ImageTag is null) return;
        w.WriteStartObject("image");
        if (container.ImageName is not null) w.WriteString("name", container.ImageName);
        if (container.ImageTag is not null) w.WriteString("tag", container.ImageTag);
        w.WriteEndObject();
    }

    public static void WriteObject(Utf8JsonWriter w, string name, Action body)
    {
        w.WriteStartObject(name);
        body();
        w.WriteEndObject();
    }

    public static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values) w.WriteStringValue(value);
        w.WriteEndArray();
    }
}
