using System.Text.RegularExpressions;

namespace WorkloadProfiles.Explorer.Exports;

/// <summary>Kubernetes name syntax for the NetworkPolicy export's parameters.</summary>
internal static partial class KubernetesNames
{
    public const string LabelRule = "a label selector 'key=value' (key: optional DNS prefix '/' name; value: up to 63 of letters, digits, - _ .)";
    public const string NamespaceRule = "a namespace name (DNS label: up to 63 lower-case letters, digits and '-')";

    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\z")]
    private static partial Regex LabelKey();

    [GeneratedRegex(@"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?\z")]
    private static partial Regex LabelValue();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\z")]
    private static partial Regex DnsLabel();

    public static bool TryLabel(string selector, out KeyValuePair<string, string> label)
    {
        label = default;
        var equals = selector.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0) return false;
        var (key, value) = (selector[..equals], selector[(equals + 1)..]);
        if (!LabelKey().IsMatch(key) || !LabelValue().IsMatch(value)) return false;
        label = new(key, value);
        return true;
    }

    public static bool IsDnsLabel(string name) => DnsLabel().IsMatch(name);
}
