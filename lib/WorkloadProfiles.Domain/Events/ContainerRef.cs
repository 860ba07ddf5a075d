namespace WorkloadProfiles.Domain.Events;

/// <summary>
/// container.id, container.image.name, container.image.tag. The image fields are null until the agent resolved them;
/// the snapshot job holds such events briefly and dead-letters them if they never resolve.
/// </summary>
public sealed record ContainerRef(string Id, string? ImageName, string? ImageTag)
{
    /// <summary>The Kubernetes pod the container runs in; null outside Kubernetes or until the agent resolved it.</summary>
    public KubernetesMeta? Kubernetes { get; init; }

    public bool HasImage => !string.IsNullOrEmpty(ImageName) && !string.IsNullOrEmpty(ImageTag);

    /// <summary>The profile key of this container's image, or null if the image is unresolved.</summary>
    public ProfileKey? ProfileKey => HasImage ? new ProfileKey(ImageName!, ImageTag!) : null;
}

/// <summary>A profile's identity: one profile per {image name, image version}. Text form <c>image@version</c> is the Kafka key.</summary>
public readonly record struct ProfileKey(string ImageName, string ImageTag)
{
    public override string ToString() => $"{ImageName}@{ImageTag}";

    /// <summary>Parses <c>image@version</c>; the image name may itself contain '@' only in a digest, so the last '@' splits.</summary>
    public static bool TryParse(string? text, out ProfileKey key)
    {
        key = default;
        if (string.IsNullOrEmpty(text)) return false;
        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1) return false;
        key = new ProfileKey(text[..at], text[(at + 1)..]);
        return true;
    }

    public static ProfileKey Parse(string text) =>
        TryParse(text, out var key) ? key : throw new FormatException($"'{text}' is not a profile key of the form image@version");
}
