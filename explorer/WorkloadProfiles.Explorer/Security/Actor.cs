using System.Text.RegularExpressions;

namespace WorkloadProfiles.Explorer;

/// <summary>
/// Who acts on a suppression: the user the request names in <see cref="HeaderName"/> (the token holder speaks for a
/// person, e.g. an SSO proxy in front of the explorer sets it), otherwise <see cref="ExplorerOptions.User"/>.
/// </summary>
public static partial class Actor
{
    public const string HeaderName = "X-WP-User";

    public const string NameRule = "1-128 characters: letters, digits, space and . _ @ + -";

    [GeneratedRegex(@"^[\p{L}\p{N}._@+\- ]{1,128}\z")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name) && name.Trim().Length > 0;

    /// <summary>The acting user, or null when the header is present but not a valid name (the request is then rejected).</summary>
    public static string? Of(HttpContext context, ExplorerOptions options)
    {
        if (!context.Request.Headers.TryGetValue(HeaderName, out var values)) return options.User;
        var name = values.ToString().Trim();
        return IsValidName(name) ? name : null;
    }
}
