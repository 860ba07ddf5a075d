using System.Text.Json;
using System.Text.Json.Serialization;

namespace WorkloadProfiles.DetectionQuality.Corpus;

/// <summary>What a container did in the recorded scenario.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ContainerRole>))]
public enum ContainerRole
{
    /// <summary>Ran the workload while the profile learnt: its snapshots form the Stable profile.</summary>
    Learning,
    /// <summary>A fresh container running the same workload after the profile is Stable: its signals should be suggested.</summary>
    Repeat,
    /// <summary>Runs the workload while attack steps are injected.</summary>
    Attack,
}

public sealed record RecordedContainer(string Id, string Image, string Tag, ContainerRole Role);

/// <summary>The corpus next to its recording: who each container was, which attacks ran, and how to cut windows.</summary>
public sealed record Manifest(
    DateTimeOffset RecordedAt,
    string Kernel,
    int WindowSeconds,
    IReadOnlyList<RecordedContainer> Containers,
    IReadOnlyList<AttackStep> Attacks)
{
    public const string RecordingFile = "corpus.avro";
    public const string ManifestFile = "manifest.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Manifest Load(string directory) =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Path.Combine(directory, ManifestFile)), Json)
        ?? throw new InvalidDataException($"{Path.Combine(directory, ManifestFile)} is empty");

    public void Save(string directory) => File.WriteAllText(Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(this, Json) + "\n");
}
