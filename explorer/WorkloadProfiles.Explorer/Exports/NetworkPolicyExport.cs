using System.Globalization;
using System.Text;
using WorkloadProfiles.Explorer.Data;
using YamlDotNet.Serialization;

namespace WorkloadProfiles.Explorer.Exports;

/// <summary>
/// A Kubernetes NetworkPolicy that allows the egress a profile saw: its network nodes (<c>tcp/443/public</c>) become
/// ipBlock + port rules per address class, and DNS nodes allow DNS to kube-dns. NetworkPolicy cannot name hosts, so the
/// DNS names go into an annotation for review; loopback needs no rule, and classes with no CIDR (link-local, multicast,
/// unknown) are listed as skipped rather than guessed.
/// </summary>
internal static class NetworkPolicyExport
{
    private static readonly string[] PrivateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"];

    public static string Render(ProfileRow profile, IReadOnlyList<NodeRow> nodes, KeyValuePair<string, string> podLabel, string? ns, double minCommonality)
    {
        var kept = nodes.Where(n => n.Commonality >= minCommonality).ToList();
        var dnsNames = kept.Where(n => n.Kind == "dns").Select(n => n.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var ports = new SortedDictionary<string, SortedSet<(string Protocol, int? Port)>>(StringComparer.Ordinal);
        var skipped = new SortedSet<string>(StringComparer.Ordinal);
        var needsDns = dnsNames.Count > 0;

        foreach (var node in kept.Where(n => n.Kind == "network"))
        {
            var parts = node.Key.Split('/');
            if (parts.Length != 3) { skipped.Add(node.Key); continue; }
            var protocol = parts[0].ToUpperInvariant();
            if (protocol is not ("TCP" or "UDP" or "SCTP")) { skipped.Add(node.Key); continue; }
            int? port = int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535 ? p : null;
            if (port == 53) { needsDns = true; }
            switch (parts[2])
            {
                case "loopback": break;
                case "public" or "private":
                    if (!ports.TryGetValue(parts[2], out var set)) ports[parts[2]] = set = [];
                    set.Add((protocol, port));
                    break;
                default: skipped.Add(node.Key); break;
            }
        }

        var egress = new List<object>();
        if (needsDns)
        {
            egress.Add(new Dictionary<string, object>
            {
                ["to"] = new[]
                {
                    new Dictionary<string, object>
                    {
                        ["namespaceSelector"] = new Dictionary<string, object>(),
                        ["podSelector"] = new Dictionary<string, object> { ["matchLabels"] = new Dictionary<string, string> { ["k8s-app"] = "kube-dns" } },
                    },
                },
                ["ports"] = new[] { Port("UDP", 53), Port("TCP", 53) },
            });
        }
        foreach (var (addressClass, set) in ports)
        {
            var peers = addressClass == "public"
                ? new object[]
                {
                    new Dictionary<string, object> { ["ipBlock"] = new Dictionary<string, object> { ["cidr"] = "0.0.0.0/0", ["except"] = PrivateRanges } },
                    new Dictionary<string, object> { ["ipBlock"] = new Dictionary<string, object> { ["cidr"] = "::/0", ["except"] = new[] { "fc00::/7" } } },
                }
                : PrivateRanges.Append("fc00::/7").Select(cidr => (object)new Dictionary<string, object> { ["ipBlock"] = new Dictionary<string, object> { ["cidr"] = cidr } }).ToArray();
            var rule = new Dictionary<string, object> { ["to"] = peers };
            // A port the profile could not pin down (pattern) means any port to that class.
            if (set.All(p => p.Port is not null)) rule["ports"] = set.Select(p => Port(p.Protocol, p.Port!.Value)).ToList();
            egress.Add(rule);
        }

        var annotations = new Dictionary<string, string> { ["workloadprofiles.io/profile"] = $"{profile.ImageName}@{profile.ImageTag}" };
        if (dnsNames.Count > 0) annotations["workloadprofiles.io/dns-names"] = string.Join(",", dnsNames);
        if (skipped.Count > 0) annotations["workloadprofiles.io/skipped"] = string.Join(",", skipped);
        var metadata = new Dictionary<string, object>
        {
            ["name"] = PolicyName(profile.ImageName, profile.ImageTag),
            ["labels"] = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "workloadprofiles" },
            ["annotations"] = annotations,
        };
        if (ns is not null) metadata["namespace"] = ns;
        var policy = new Dictionary<string, object>
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = metadata,
            ["spec"] = new Dictionary<string, object>
            {
                ["podSelector"] = new Dictionary<string, object> { ["matchLabels"] = new Dictionary<string, string> { [podLabel.Key] = podLabel.Value } },
                ["policyTypes"] = new[] { "Egress" },
                ["egress"] = egress,
            },
        };
        var header = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Egress allow-list from the WorkloadProfiles security profile {profile.ImageName}@{profile.ImageTag} ({profile.Status}, {profile.SnapshotCount} snapshots).")
            .AppendLine("# Review before applying: check the pod selector, and that the DNS names in the annotation are the only hosts reached.");
        return header + new SerializerBuilder().Build().Serialize(policy);
    }

    /// <summary>The label a pod of this image most likely carries: <c>app.kubernetes.io/name</c> = the image's last path segment.</summary>
    public static KeyValuePair<string, string> DefaultPodLabel(string image)
    {
        var name = image[(image.LastIndexOf('/') + 1)..];
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0) name = name[..colon];
        return new("app.kubernetes.io/name", DnsLabel(name, 63));
    }

    private static Dictionary<string, object> Port(string protocol, int port) => new() { ["protocol"] = protocol, ["port"] = port };

    private static string PolicyName(string image, string tag) => DnsLabel($"wp-{image}-{tag}-egress", 253);

    /// <summary>Lower-case letters, digits and '-', starting and ending alphanumeric: valid as a resource name and a label value.</summary>
    private static string DnsLabel(string text, int max)
    {
        var builder = new StringBuilder();
        foreach (var c in text.ToLowerInvariant()) builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        var label = builder.ToString().Trim('-');
        if (label.Length > max) label = label[..max].TrimEnd('-');
        return label.Length == 0 ? "workload" : label;
    }
}
