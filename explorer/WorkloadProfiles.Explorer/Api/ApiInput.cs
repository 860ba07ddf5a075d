using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>
/// Validation of what clients send. Values are escaped on their way into SQL regardless (ClickHouseLiteral); these
/// rules reject what cannot be a real image, tag or id early, with a clear message instead of an empty result.
/// </summary>
internal static partial class ApiInput
{
    public const string ImageRule = "an image name: 1-255 characters, letters, digits and . _ / : @ -, starting with a letter or digit";
    public const string TagRule = "an image tag: 1-128 characters, letters, digits and . _ : + -, not starting with . or -";
    public const string IdRule = "1-512 printable characters";

    // Docker reference grammar, widened to upper case (some registries allow it) and '@' (digests).
    // \z, not $: $ also matches before a final newline.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}\z")]
    private static partial Regex ImagePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,127}\z")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[^\p{C}]{1,512}\z")]
    private static partial Regex IdPattern();

    public static readonly string[] Severities = ["Info", "Low", "Medium", "High", "Critical"];

    /// <summary>Route values arrive with <c>%2F</c> still encoded (an image name may contain '/'), so they are unescaped once here.</summary>
    public static bool TryImage(string raw, [NotNullWhen(true)] out string? image) => TryMatch(raw, ImagePattern(), pathLike: true, out image);

    public static bool TryTag(string raw, [NotNullWhen(true)] out string? tag) => TryMatch(raw, TagPattern(), pathLike: true, out tag);

    public static bool TryId(string? raw, [NotNullWhen(true)] out string? id) => TryMatch(raw, IdPattern(), pathLike: false, out id);

    public static IResult Invalid(string field, string rule) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [$"Expected {rule}."] });

    // pathLike: names that end up in file names and links (exports) must not carry "..".
    private static bool TryMatch(string? raw, Regex pattern, bool pathLike, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (string.IsNullOrEmpty(raw) || raw.Length > 2048) return false;
        var text = Uri.UnescapeDataString(raw);
        if (!pattern.IsMatch(text) || (pathLike && text.Contains("..", StringComparison.Ordinal))) return false;
        value = text;
        return true;
    }
}
