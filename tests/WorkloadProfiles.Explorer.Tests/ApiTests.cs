using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Explorer.Tests;

[Collection(ExplorerCollection.Name)]
public sealed class ApiTests(ExplorerFixture fixture)
{
    private static readonly string ApiPath = Uri.EscapeDataString(Warehouse.ApiImage);

    [Fact]
    public async Task Images_are_grouped_by_name_with_versions_status_and_running_containers()
    {
        var images = await GetJsonAsync("/api/images");

        Assert.Equal([Warehouse.Nginx, Warehouse.ApiImage], images.EnumerateArray().Select(i => i.GetProperty("imageName").GetString()).Order());
        var nginx = images.EnumerateArray().Single(i => i.GetProperty("imageName").GetString() == Warehouse.Nginx);
        Assert.Equal(2, nginx.GetProperty("versions").GetInt32());
        Assert.Equal(1, nginx.GetProperty("stableVersions").GetInt32());
        Assert.Equal(6, nginx.GetProperty("snapshotCount").GetInt32());
        Assert.Equal(3, nginx.GetProperty("runningContainers").GetInt32()); // c-3 exited
    }

    [Fact]
    public async Task Profiles_of_an_image_list_every_version_with_status_snapshots_and_commonality()
    {
        var profiles = await GetJsonAsync("/api/images/nginx/profiles");

        var byTag = profiles.EnumerateArray().ToDictionary(p => p.GetProperty("imageTag").GetString()!);
        Assert.Equal(["1.26", "1.27"], byTag.Keys.Order());
        Assert.Equal("Stable", byTag["1.26"].GetProperty("status").GetString());
        Assert.Equal(4, byTag["1.26"].GetProperty("snapshotCount").GetInt32());
        Assert.Equal(Warehouse.Nginx126.Commonality, byTag["1.26"].GetProperty("commonality").GetDouble(), 9);
        Assert.Equal(2, byTag["1.26"].GetProperty("runningContainers").GetInt32());
        Assert.Equal(3, byTag["1.26"].GetProperty("signals").GetInt32());
        Assert.Equal("Learning", byTag["1.27"].GetProperty("status").GetString());
        Assert.Equal(2, byTag["1.27"].GetProperty("snapshotCount").GetInt32());
    }

    [Fact]
    public async Task An_image_name_with_slashes_travels_escaped_in_the_path()
    {
        var profiles = await GetJsonAsync($"/api/images/{ApiPath}/profiles");
        Assert.Equal("2.0", Assert.Single(profiles.EnumerateArray()).GetProperty("imageTag").GetString());

        var detail = await GetJsonAsync($"/api/profiles/{ApiPath}/2.0");
        Assert.Equal("/app/server", Assert.Single(detail.GetProperty("processes").EnumerateArray()).GetProperty("key").GetString());
    }

    [Fact]
    public async Task Profile_detail_has_the_process_tree_with_commonality_and_leaves_per_process()
    {
        var detail = await GetJsonAsync("/api/profiles/nginx/1.26");

        var nginx = Assert.Single(detail.GetProperty("processes").EnumerateArray());
        Assert.Equal(NodeIdentity.Format(Warehouse.NginxId), nginx.GetProperty("id").GetString());
        Assert.Equal(1.0, nginx.GetProperty("commonality").GetDouble());
        Assert.Equal("/etc/nginx/nginx.conf", Assert.Single(nginx.GetProperty("files").EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal("r", nginx.GetProperty("files")[0].GetProperty("access").GetString());
        Assert.Equal("api.example.com", Assert.Single(nginx.GetProperty("dns").EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal("tcp/443/public", Assert.Single(nginx.GetProperty("network").EnumerateArray()).GetProperty("key").GetString());

        var shell = Assert.Single(nginx.GetProperty("children").EnumerateArray());
        Assert.Equal(Warehouse.ShellKey, shell.GetProperty("key").GetString());
        Assert.Equal("/bin/sh", shell.GetProperty("executable").GetString());
        Assert.Equal(0.25, shell.GetProperty("commonality").GetDouble());
        Assert.Equal(0.25, shell.GetProperty("containerCommonality").GetDouble());
        // A process node lists the argument signatures it ran with and how commonly.
        var signature = Assert.Single(shell.GetProperty("signatures").EnumerateArray());
        Assert.Equal("-c 'curl http://example.com/'", signature.GetProperty("signature").GetString());
        Assert.Equal(1, signature.GetProperty("snapshotCount").GetInt32());
        Assert.Equal(0.25, signature.GetProperty("commonality").GetDouble());
        var curl = Assert.Single(shell.GetProperty("children").EnumerateArray());
        Assert.Equal("/usr/bin/curl", curl.GetProperty("key").GetString());
        Assert.Equal("tcp/80/public", Assert.Single(curl.GetProperty("network").EnumerateArray()).GetProperty("key").GetString());

        Assert.Equal(7, detail.GetProperty("nodesRead").GetInt32());
        Assert.False(detail.GetProperty("nodesTruncated").GetBoolean());
        Assert.Equal(0, detail.GetProperty("unattachedNodes").GetInt32());
        Assert.Equal(["1.26", "1.27"], detail.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public async Task Profile_detail_lists_related_signals_running_containers_and_merged_snapshots()
    {
        var detail = await GetJsonAsync("/api/profiles/nginx/1.26");

        Assert.Equal(new[] { Warehouse.ConfSignal, Warehouse.DnsSignal, Warehouse.ShellSignal }.Order(),
            detail.GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("signalId").GetString()).Order());
        var containers = detail.GetProperty("containers").EnumerateArray()
            .ToDictionary(c => c.GetProperty("containerId").GetString()!, c => (Tag: c.GetProperty("imageTag").GetString(), Profiled: c.GetProperty("profiled").GetBoolean()));
        Assert.Equal(new Dictionary<string, (string?, bool)> { ["c-1"] = ("1.26", true), ["c-2"] = ("1.26", false), ["c-5"] = ("1.27", true) }, containers);
        Assert.Equal("1.26", detail.GetProperty("containers")[0].GetProperty("imageTag").GetString());
        // The inventory's Kubernetes pod: namespace, pod and owning workload; none outside Kubernetes.
        var pods = detail.GetProperty("containers").EnumerateArray().ToDictionary(c => c.GetProperty("containerId").GetString()!, c => c.GetProperty("pod"));
        Assert.Equal(("payments", "web-7d4b9c5f8-x2x9k", "Deployment/web"),
            (pods["c-1"].GetProperty("namespace").GetString(), pods["c-1"].GetProperty("name").GetString(), pods["c-1"].GetProperty("workload").GetString()));
        Assert.Equal(JsonValueKind.Null, pods["c-2"].ValueKind);

        var snapshots = detail.GetProperty("snapshots").EnumerateArray().ToList();
        Assert.Equal(Warehouse.Nginx126.SnapshotIds.Order(StringComparer.Ordinal), snapshots.Select(s => s.GetProperty("snapshotId").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["c-1", "c-2", "c-3", "c-4"], snapshots.Select(s => s.GetProperty("containerId").GetString()));
    }

    [Fact]
    public async Task Missing_and_malformed_profiles_are_404_and_400()
    {
        using var client = fixture.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/profiles/nginx/9.9")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/images/postgres/profiles")).StatusCode);

        var injection = await client.GetAsync($"/api/profiles/{Uri.EscapeDataString("nginx' OR 1=1 --")}/1.26");
        Assert.Equal(HttpStatusCode.BadRequest, injection.StatusCode);
        var problem = await injection.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("image", out _));
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/profiles/nginx/1..2")).StatusCode);
    }

    [Fact]
    public async Task Compare_shows_behaviours_added_and_removed_relative_to_the_newer_version_with_counts_by_kind()
    {
        var comparison = await GetJsonAsync("/api/profiles/nginx/1.27/compare/1.26");

        Assert.Equal([NodeIdentity.Format(Warehouse.NewDnsId)], comparison.GetProperty("added").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        Assert.Equal("/usr/sbin/nginx › new.example.com", comparison.GetProperty("added")[0].GetProperty("path").GetString());
        Assert.Equal(
            new[] { Warehouse.ApiDnsId, Warehouse.ShellId, Warehouse.CurlId, Warehouse.CurlHttpId }.Select(NodeIdentity.Format).Order(),
            comparison.GetProperty("removed").EnumerateArray().Select(c => c.GetProperty("id").GetString()).Order());
        Assert.Equal(3, comparison.GetProperty("unchanged").GetInt32()); // nginx, its config, tcp/443
        Assert.Equal(("1.27", "1.26", "version"), (comparison.GetProperty("newerTag").GetString(), comparison.GetProperty("olderTag").GetString(), comparison.GetProperty("newerBy").GetString()));
        Assert.Equal(1, comparison.GetProperty("addedByKind").GetProperty("dns").GetInt32());
        Assert.Equal(0, comparison.GetProperty("addedByKind").GetProperty("process").GetInt32());
        Assert.Equal([2, 0, 1, 1], new[] { "process", "file", "dns", "network" }.Select(k => comparison.GetProperty("removedByKind").GetProperty(k).GetInt32()));

        // Asked from the older version, the changes still read relative to the newer one.
        var fromOlder = await GetJsonAsync("/api/profiles/nginx/1.26/compare/1.27");
        Assert.Equal("1.26", fromOlder.GetProperty("imageTag").GetString());
        Assert.Equal("1.27", fromOlder.GetProperty("newerTag").GetString());
        Assert.Equal(comparison.GetProperty("added").GetRawText(), fromOlder.GetProperty("added").GetRawText());
        Assert.Equal(comparison.GetProperty("removed").GetRawText(), fromOlder.GetProperty("removed").GetRawText());

        using var client = fixture.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/profiles/nginx/1.27/compare/0.1")).StatusCode);
    }

    [Fact]
    public async Task Signals_list_newest_first_and_filters_by_image_tag_rule_severity_and_suggestion()
    {
        var all = await GetJsonAsync("/api/signals");
        Assert.Equal([Warehouse.DnsSignal, Warehouse.LearningSignal, Warehouse.ShellSignal, Warehouse.ConfSignal], Ids(all));

        Assert.Equal([Warehouse.DnsSignal, Warehouse.ConfSignal], Ids(await GetJsonAsync("/api/signals?suggestion=true")));
        Assert.Equal([Warehouse.LearningSignal], Ids(await GetJsonAsync("/api/signals?image=nginx&tag=1.27")));
        Assert.Equal([Warehouse.ShellSignal], Ids(await GetJsonAsync($"/api/signals?rule={Warehouse.ShellRule}")));
        Assert.Empty(Ids(await GetJsonAsync("/api/signals?severity=Low")));
        Assert.Equal([Warehouse.DnsSignal, Warehouse.LearningSignal], Ids(await GetJsonAsync("/api/signals?limit=2")));

        using var client = fixture.Client();
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/signals?severity=Bad")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/signals?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/signals?limit=abc")).StatusCode);
    }

    [Fact]
    public async Task Signal_detail_carries_profile_context_link_and_the_suggestion_with_evidence()
    {
        var detail = await GetJsonAsync($"/api/signals/{Warehouse.ConfSignal}");

        var profile = detail.GetProperty("profile");
        Assert.Equal("Stable", profile.GetProperty("status").GetString());
        Assert.Equal("/profiles/nginx/1.26", profile.GetProperty("link").GetString());
        Assert.True(profile.GetProperty("behaviourInProfile").GetBoolean());
        var suggestion = detail.GetProperty("suggestion");
        Assert.Equal(SuggestionMatcher.Expression(Warehouse.Nginx, Warehouse.ConfId, [""]), suggestion.GetProperty("expression").GetString());
        Assert.Equal(Suppression.MakeId(Warehouse.ReadRule, Warehouse.Nginx, Warehouse.ConfId, [""]), suggestion.GetProperty("suppressionId").GetString());
        Assert.Equal(1.0, suggestion.GetProperty("evidence").GetProperty("commonality").GetDouble());
        Assert.Equal(4, suggestion.GetProperty("evidence").GetProperty("snapshotCount").GetInt32());
        Assert.Equal(1.0, suggestion.GetProperty("evidence").GetProperty("signatureCommonality").GetDouble());
        var covered = Assert.Single(detail.GetProperty("signatures").EnumerateArray());
        Assert.Equal("", covered.GetProperty("signature").GetString());
        Assert.Contains("/usr/sbin/nginx", covered.GetProperty("process").GetString(), StringComparison.Ordinal);
        Assert.Equal(0.8, detail.GetProperty("policy").GetProperty("minNodeCommonality").GetDouble());

        var pod = detail.GetProperty("signal").GetProperty("pod");
        Assert.Equal(("payments", "Deployment/web"), (pod.GetProperty("namespace").GetString(), pod.GetProperty("workload").GetString()));

        var shell = await GetJsonAsync($"/api/signals/{Warehouse.ShellSignal}");
        Assert.Equal(JsonValueKind.Null, shell.GetProperty("suggestion").ValueKind);
        Assert.Contains("below the threshold", shell.GetProperty("noSuggestionReason").GetString());

        using var client = fixture.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/signals/no-such-signal")).StatusCode);
    }

    [Fact]
    public async Task Accepting_a_suggestion_publishes_a_suppression_to_wp_suppressions()
    {
        using var client = fixture.Client(user: "bob.sec");
        var before = DateTimeOffset.UtcNow;

        var response = await client.PostAsJsonAsync("/api/suppressions", new { signalId = Warehouse.ConfSignal });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var expectedId = Suppression.MakeId(Warehouse.ReadRule, Warehouse.Nginx, Warehouse.ConfId, [""]);
        Assert.Equal($"/api/suppressions/{Uri.EscapeDataString(expectedId)}", response.Headers.Location?.OriginalString);
        var (key, record) = await fixture.ConsumeSuppressionAsync(s => s.Id == expectedId && !s.Removed, TimeSpan.FromSeconds(30));
        Assert.Equal(expectedId, key);
        Assert.Equal(Warehouse.ReadRule, record.RuleId);
        Assert.Equal(Warehouse.Nginx, record.ImageName);
        Assert.Equal(Warehouse.ConfId, record.NodeId);
        Assert.Equal(SuggestionMatcher.Expression(Warehouse.Nginx, Warehouse.ConfId, [""]), record.Expression);
        Assert.Equal([""], record.Signatures);
        Assert.Equal("bob.sec", record.CreatedBy);
        Assert.Equal(Warehouse.ConfSignal, record.FromSignalId);
        Assert.InRange(record.CreatedAtUs, before.ToUnixTimeMilliseconds() * 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);

        // The list and the signal show it at once, before any sink has copied the topic into ClickHouse.
        var list = await GetJsonAsync("/api/suppressions");
        Assert.Contains(expectedId, list.EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var signal = await GetJsonAsync($"/api/signals/{Warehouse.ConfSignal}");
        Assert.Equal("bob.sec", signal.GetProperty("suppression").GetProperty("createdBy").GetString());

        // Accepting the same suggestion again is the same suppression (deterministic id), not a second one.
        var again = await client.PostAsJsonAsync("/api/suppressions", new { signalId = Warehouse.ConfSignal });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(expectedId, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_signal_without_a_suggestion_cannot_be_suppressed_and_bad_requests_are_rejected()
    {
        using var client = fixture.Client();
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync("/api/suppressions", new { signalId = Warehouse.ShellSignal })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/suppressions", new { signalId = "nope" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/api/suppressions", new { other = 1 })).StatusCode);
        using var badUser = fixture.Client(user: "<script>");
        Assert.Equal(HttpStatusCode.BadRequest, (await badUser.PostAsJsonAsync("/api/suppressions", new { signalId = Warehouse.ConfSignal })).StatusCode);
        using var malformed = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/suppressions", malformed)).StatusCode);
    }

    [Fact]
    public async Task Removing_a_suppression_publishes_it_again_as_removed_with_who_and_when()
    {
        using var client = fixture.Client(user: "carol");
        var id = Warehouse.ExistingSuppression.Id;
        Assert.Contains(id, (await GetJsonAsync("/api/suppressions")).EnumerateArray().Select(s => s.GetProperty("id").GetString()));

        var response = await client.DeleteAsync($"/api/suppressions/{Uri.EscapeDataString(id)}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (key, record) = await fixture.ConsumeSuppressionAsync(s => s.Id == id && s.Removed, TimeSpan.FromSeconds(30));
        Assert.Equal(id, key);
        Assert.Equal("carol", record.RemovedBy);
        Assert.Equal("alice", record.CreatedBy);
        Assert.Equal(Warehouse.ExistingSuppression.Expression, record.Expression);
        Assert.True(record.RemovedAtUs > record.CreatedAtUs);

        Assert.DoesNotContain(id, (await GetJsonAsync("/api/suppressions")).EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var withRemoved = await GetJsonAsync("/api/suppressions?includeRemoved=true");
        Assert.True(withRemoved.EnumerateArray().Single(s => s.GetProperty("id").GetString() == id).GetProperty("removed").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync($"/api/suppressions/{Uri.EscapeDataString(id)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("/api/suppressions/no-such-id")).StatusCode);
    }

    [Fact]
    public async Task Export_json_is_a_download_of_the_profile_detail()
    {
        using var client = fixture.Client();
        var response = await client.GetAsync("/api/profiles/nginx/1.26/export.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nginx_1.26.json", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName);
        var export = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Stable", export.GetProperty("profile").GetProperty("status").GetString());
        Assert.Equal(Warehouse.NginxKey, export.GetProperty("processes")[0].GetProperty("key").GetString());
    }

    [Fact]
    public async Task Export_falco_yaml_allows_the_profile_processes_as_rule_exceptions()
    {
        using var client = fixture.Client();
        var response = await client.GetAsync("/api/profiles/nginx/1.26/export/falco.yaml?rule=Terminal%20shell%20in%20container");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = Yaml(await response.Content.ReadAsStringAsync());
        var list = document.Single(e => e.ContainsKey("list"));
        Assert.Equal("wp_nginx_1_26_processes", list["list"]);
        Assert.Equal(["/bin/sh", "/usr/bin/curl", "/usr/sbin/nginx"], ((List<object>)list["items"]).Cast<string>());
        var macro = document.Single(e => e.ContainsKey("macro"));
        Assert.Contains("proc.exepath in (wp_nginx_1_26_processes)", (string)macro["condition"]);
        var rule = document.Single(e => e.ContainsKey("rule"));
        Assert.Equal("Terminal shell in container", rule["rule"]);
        var exception = (Dictionary<object, object>)((List<object>)rule["exceptions"]).Single();
        Assert.Equal(["container.image.repository", "container.image.tag", "proc.exepath"], ((List<object>)exception["fields"]).Cast<string>());
        Assert.Contains(((List<object>)exception["values"]).Cast<List<object>>(), v => v.Cast<string>().SequenceEqual(["nginx", "1.26", "/usr/sbin/nginx"]));

        // Above 0.5 node commonality only nginx itself remains (the shell and curl were in 1 of 4 snapshots).
        var common = Yaml(await client.GetStringAsync("/api/profiles/nginx/1.26/export/falco.yaml?minCommonality=0.5"));
        Assert.Equal(["/usr/sbin/nginx"], ((List<object>)common.Single(e => e.ContainsKey("list"))["items"]).Cast<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/profiles/nginx/1.26/export/falco.yaml?minCommonality=2")).StatusCode);
    }

    [Fact]
    public async Task Export_networkpolicy_yaml_allows_the_egress_the_profile_saw()
    {
        using var client = fixture.Client();
        var text = await client.GetStringAsync("/api/profiles/nginx/1.26/export/networkpolicy.yaml?namespace=web");

        var policy = new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(text);
        Assert.Equal("NetworkPolicy", policy["kind"]);
        var metadata = (Dictionary<object, object>)policy["metadata"];
        Assert.Equal("web", metadata["namespace"]);
        Assert.Equal("api.example.com", ((Dictionary<object, object>)metadata["annotations"])["workloadprofiles.io/dns-names"]);
        var spec = (Dictionary<object, object>)policy["spec"];
        Assert.Equal("nginx", ((Dictionary<object, object>)((Dictionary<object, object>)spec["podSelector"])["matchLabels"])["app.kubernetes.io/name"]);
        var ports = ((List<object>)spec["egress"]).Cast<Dictionary<object, object>>()
            .SelectMany(rule => ((List<object>)rule["ports"]).Cast<Dictionary<object, object>>())
            .Select(p => $"{p["protocol"]}/{p["port"]}")
            .Order();
        Assert.Equal(["TCP/443", "TCP/53", "TCP/80", "UDP/53"], ports);
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var client = fixture.Client();
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static List<string?> Ids(JsonElement signals) => signals.EnumerateArray().Select(s => s.GetProperty("signalId").GetString()).ToList();

    private static List<Dictionary<object, object>> Yaml(string text) =>
        new YamlDotNet.Serialization.DeserializerBuilder().Build().Deserialize<List<Dictionary<object, object>>>(text);
}
