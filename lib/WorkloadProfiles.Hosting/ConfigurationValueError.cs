using System.Text.RegularExpressions;

namespace WorkloadProfiles.Hosting;

/// <summary>
/// The configuration binder's conversion failure ("Failed to convert configuration value 'abc' at 'Streams:Threads' to
/// type 'System.Int32'") in the user's terms: which key, which value, what it should be.
/// </summary>
public static partial class ConfigurationValueError
{
    /// <summary>The explanation, or null when <paramref name="e"/> is not a conversion failure.</summary>
    public static string? Explain(InvalidOperationException e)
    {
        var match = Conversion().Match(e.Message);
        if (!match.Success) return null;
        var (value, key, type) = (match.Groups["value"].Value, match.Groups["key"].Value, match.Groups["type"].Value);
        return $"{key}: '{value}' is not {Expected(type)} (WP_{key.Replace(":", "__", StringComparison.Ordinal)}).";
    }

    static string Expected(string type) => type.Replace("System.Nullable`1[", "", StringComparison.Ordinal).TrimEnd(']') switch
    {
        "System.Int32" or "System.Int64" or "System.UInt32" or "System.UInt64" or "System.Int16" => "a whole number",
        "System.Double" or "System.Single" or "System.Decimal" => "a number",
        "System.Boolean" => "true or false",
        "System.TimeSpan" => "a duration (hh:mm:ss)",
        var other when other.Contains('.', StringComparison.Ordinal) && !other.StartsWith("System.", StringComparison.Ordinal) =>
            "one of the documented values",
        _ => "a valid value",
    };

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex Conversion();
}
