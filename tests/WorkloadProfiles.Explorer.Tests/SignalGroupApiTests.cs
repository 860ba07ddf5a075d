using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;
using static WorkloadProfiles.Explorer.Tests.TriageWarehouse;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>The signals view's API over <see cref="TriageWarehouse"/>: expected groups and counts come from the seed's specs.</summary>
[Collection(TriageCollection.Name)]
public sealed class SignalGroupApiTests(TriageFixture fixture)
{
    private static readonly string WebPath = Uri.EscapeDataString(Web);

    [Fact]
    public async Task Signals_group_by_rule_image_and_behaviour_node_with_counts_times_and_severity()
    {
        var list = await GetAsync("/api/signal-groups?size=200");

        Assert.Equal((ulong)Groups.Count, list.GetProperty("totalGroups").GetUInt64());
        Assert.Equal((ulong)Groups.Sum(g => g.Count), list.GetProperty("totalSignals").GetUInt64());
        var groups = list.GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(Groups.Count, groups.Count);
        Assert.Equal(
            Groups.Select(g => $"{g.Rule}|{g.Image}|{g.Count}").Order(StringComparer.Ordinal),
            groups.Select(g => $"{g.GetProperty("ruleId").GetString()}|{g.GetProperty("imageName").GetString()}|{g.GetProperty("count").GetUInt64()}").Order(StringComparer.Ordinal));

        // The read group spans both versions: 20 signals on the Stable 2.3 (suggested), 20 on the Learning 2.4 (not).
        var read = groups.Single(g => g.GetProperty("ruleId").GetString() == ReadRule);
        Assert.Equal(NodeIdentity.Format(ConfId), read.GetProperty("behaviour").GetString());
        Assert.Equal(NodeIdentity.Format(ConfId), read.GetProperty("nodeId").GetString());
        Assert.Equal(["2.3", "2.4"], read.GetProperty("imageTags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("some", read.GetProperty("suggestionState").GetString());
        Assert.Equal(20UL, read.GetProperty("suggested").GetUInt64());
        Assert.Equal("High", read.GetProperty("severity").GetString());
        Assert.Equal("file", read.GetProperty("behaviourKind").GetString());
        Assert.Equal(4UL, read.GetProperty("containers").GetUInt64());
        var readSignals = Signals(fixture.SeededAt).Where(s => s.Signal.RuleId == ReadRule).Select(s => s.Signal.TimestampUs).ToList();
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(readSignals.Min() * 10), read.GetProperty("firstSeen").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(readSignals.Max() * 10), read.GetProperty("lastSeen").GetDateTimeOffset());
        Assert.Equal($"/signals/group/{ReadRule}/{WebPath}/{NodeIdentity.Format(ConfId)}", read.GetProperty("link").GetString());

        Assert.Equal("all", groups.Single(g => g.GetProperty("ruleId").GetString() == DnsRule).GetProperty("suggestionState").GetString());
        Assert.Equal("none", groups.Single(g => g.GetProperty("ruleId").GetString() == WriteRule).GetProperty("suggestionState").GetString());
        var drift = groups.Single(g => g.GetProperty("ruleId").GetString() == DriftRule);
        Assert.True(drift.GetProperty("drift").GetBoolean());
        Assert.Equal("never", drift.GetProperty("suggestionState").GetString());

        // A signal enriched without a profile has no node: its group is keyed by the raw behaviour.
        var miner = groups.Single(g => g.GetProperty("ruleId").GetString() == MinerRule);
        Assert.Equal(JsonValueKind.Null, miner.GetProperty("nodeId").ValueKind);
        Assert.StartsWith("u", miner.GetProperty("behaviour").GetString());
        Assert.Equal("/tmp/xmrig", miner.GetProperty("behaviourProcess").GetString());
    }

    [Fact]
    public async Task Groups_page_on_the_server_in_a_stable_order()
    {
        var pages = new List<JsonElement>();
        for (var page = 1; page <= 3; page++) pages.Add(await GetAsync($"/api/signal-groups?size=25&page={page}"));

        Assert.Equal([25, 25, Groups.Count - 50], pages.Select(p => p.GetProperty("groups").GetArrayLength()));
        var keys = pages.SelectMany(p => p.GetProperty("groups").EnumerateArray()).Select(Key).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        var lastSeen = pages.SelectMany(p => p.GetProperty("groups").EnumerateArray()).Select(g => g.GetProperty("lastSeen").GetDateTimeOffset()).ToList();
        Assert.Equal(lastSeen.OrderByDescending(t => t), lastSeen);
        Assert.Empty((await GetAsync("/api/signal-groups?size=25&page=4")).GetProperty("groups").EnumerateArray());

        var byCount = (await GetAsync("/api/signal-groups?sort=count&size=3")).GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("count").GetUInt64());
        Assert.Equal(Groups.Select(g => (ulong)g.Count).OrderDescending().Take(3), byCount);
        var bySeverity = (await GetAsync("/api/signal-groups?sort=severity&size=2")).GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("severity").GetString());
        Assert.Equal(["Critical", "Critical"], bySeverity);
    }

    [Fact]
    public async Task Filters_narrow_the_signals_before_grouping()
    {
        Assert.Equal(Expected(g => g.Severity is Severity.Critical or Severity.High),
            Summary(await GetAsync("/api/signal-groups?severity=Critical,High")));
        Assert.Equal(Expected(g => g.Rule == TrackerRule), Summary(await GetAsync($"/api/signal-groups?rule={TrackerRule}")));
        Assert.Equal(Expected(g => g.Image == Worker), Summary(await GetAsync($"/api/signal-groups?image={Uri.EscapeDataString(Worker)}")));
        Assert.Equal(Expected(g => g.Rule.StartsWith("wp.drift.", StringComparison.Ordinal)), Summary(await GetAsync("/api/signal-groups?origin=drift")));
        Assert.Equal(Expected(g => !g.Rule.StartsWith("wp.drift.", StringComparison.Ordinal)), Summary(await GetAsync("/api/signal-groups?origin=rule")));

        // Version 2.4 keeps the read group with its 20 signals there; "suggested" keeps only the suggested signals of a group.
        var v24 = await GetAsync($"/api/signal-groups?image={WebPath}&tag=2.4");
        Assert.Equal(20UL, Assert.Single(v24.GetProperty("groups").EnumerateArray()).GetProperty("count").GetUInt64());
        var suggested = (await GetAsync("/api/signal-groups?suggested=true&size=200")).GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal([(ReadRule, 20UL), (DnsRule, 5UL)], suggested.Select(g => (g.GetProperty("ruleId").GetString()!, g.GetProperty("count").GetUInt64())).Order());
        var unsuggested = await GetAsync("/api/signal-groups?suggested=false&size=200");
        Assert.Equal((ulong)(Groups.Sum(g => g.Count) - 25), unsuggested.GetProperty("totalSignals").GetUInt64());

        // Time range: the last day holds only the miner group, raised two hours before the seed; the seed day holds the rest.
        var lastDay = await GetAsync($"/api/signal-groups?from={Time(fixture.SeededAt.AddDays(-1))}");
        Assert.Equal(MinerRule, Assert.Single(lastDay.GetProperty("groups").EnumerateArray()).GetProperty("ruleId").GetString());
        var seedDay = await GetAsync($"/api/signal-groups?from={Time(T0)}&to={Time(T0 + 24 * 60 * Minute)}");
        Assert.Equal((ulong)(Groups.Count - 1), seedDay.GetProperty("totalGroups").GetUInt64());
        Assert.Equal((ulong)(Groups.Where(g => !g.Recent).Sum(g => g.Count) - 20), seedDay.GetProperty("totalSignals").GetUInt64()); // 2.4's 20 are a day later
        // The migrated warehouse records namespaces (006_kubernetes.sql); these signals ran outside Kubernetes, so the
        // facets offer none and the page shows no namespace filter.
        Assert.True(seedDay.GetProperty("namespaces").GetBoolean());
    }

    [Fact]
    public async Task A_group_opens_by_its_link_and_lists_its_signals_page_by_page()
    {
        var path = $"/api/signal-groups/{ReadRule}/{WebPath}/{NodeIdentity.Format(ConfId)}";
        var group = await GetAsync(path);
        Assert.Equal(40UL, group.GetProperty("count").GetUInt64());

        var first = await GetAsync($"{path}/signals?size=15");
        var third = await GetAsync($"{path}/signals?size=15&page=3");
        Assert.Equal(40UL, first.GetProperty("total").GetUInt64());
        Assert.Equal(15, first.GetProperty("signals").GetArrayLength());
        Assert.Equal(10, third.GetProperty("signals").GetArrayLength());
        var expected = Signals(fixture.SeededAt).Where(s => s.Signal.RuleId == ReadRule)
            .OrderByDescending(s => s.Signal.TimestampUs).ThenBy(s => s.Signal.SignalId, StringComparer.Ordinal).Select(s => s.Signal.SignalId).ToList();
        Assert.Equal(expected.Take(15), first.GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("signalId").GetString()));
        Assert.Equal(expected.Skip(30), third.GetProperty("signals").EnumerateArray().Select(s => s.GetProperty("signalId").GetString()));

        // Filters apply to a group too, so its page and its count agree with the list.
        Assert.Equal(20UL, (await GetAsync($"{path}/signals?tag=2.4")).GetProperty("total").GetUInt64());
        var miner = (await GetAsync($"/api/signal-groups?rule={MinerRule}")).GetProperty("groups")[0].GetProperty("behaviour").GetString();
        Assert.Equal(6UL, (await GetAsync($"/api/signal-groups/{MinerRule}/{Uri.EscapeDataString(Worker)}/{miner}/signals")).GetProperty("total").GetUInt64());

        using var client = fixture.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/signal-groups/{ReadRule}/{WebPath}/{NodeIdentity.Format(DbId)}")).StatusCode);
    }

    [Fact]
    public async Task Facets_offer_rules_images_and_severities_with_counts()
    {
        var facets = await GetAsync("/api/signal-groups/facets");
        var rules = facets.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("value").GetString()!, r => r.GetProperty("count").GetUInt64());
        Assert.Equal(Groups.GroupBy(g => g.Rule).ToDictionary(g => g.Key, g => (ulong)g.Sum(x => x.Count)), rules);
        Assert.Equal([Web, Worker], facets.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("value").GetString()).Order(StringComparer.Ordinal));
        Assert.Empty(facets.GetProperty("namespaces").EnumerateArray());
        var critical = facets.GetProperty("severities").EnumerateArray().Single(s => s.GetProperty("value").GetString() == "Critical");
        Assert.Equal((ulong)Groups.Where(g => g.Severity == Severity.Critical).Sum(g => g.Count), critical.GetProperty("count").GetUInt64());
    }

    [Theory]
    [InlineData("/api/signal-groups?page=0")]
    [InlineData("/api/signal-groups?size=201")]
    [InlineData("/api/signal-groups?sort=name")]
    [InlineData("/api/signal-groups?origin=falco")]
    [InlineData("/api/signal-groups?severity=High,Severe")]
    [InlineData("/api/signal-groups?suggested=maybe")]
    [InlineData("/api/signal-groups?from=2026-10-06T00:00:00Z&to=2026-10-05T00:00:00Z")]
    [InlineData("/api/signal-groups/read-sensitive-file/shop%2Fweb/xyz")]
    [InlineData("/api/signal-groups/read-sensitive-file/shop%2Fweb/u12/signals")]
    public async Task Bad_filters_and_keys_are_400(string path)
    {
        using var client = fixture.Client();
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync(path)).StatusCode);
    }

    [Fact]
    public async Task A_signal_shows_the_threshold_its_suggestion_was_judged_against()
    {
        var detail = await GetAsync("/api/signals/tri-00-00");
        Assert.Equal(SuggestionPolicy.Default.MinNodeCommonality, detail.GetProperty("policy").GetProperty("minNodeCommonality").GetDouble());
        Assert.Equal(SuggestionPolicy.Default.MinLearningSnapshots, detail.GetProperty("policy").GetProperty("minLearningSnapshots").GetInt32());
    }

    private static (ulong Groups, ulong Signals) Expected(Func<GroupSpec, bool> match) =>
        ((ulong)Groups.Count(match), (ulong)Groups.Where(match).Sum(g => g.Count));

    private static (ulong Groups, ulong Signals) Summary(JsonElement list) =>
        (list.GetProperty("totalGroups").GetUInt64(), list.GetProperty("totalSignals").GetUInt64());

    private static string Key(JsonElement g) =>
        $"{g.GetProperty("ruleId").GetString()}|{g.GetProperty("imageName").GetString()}|{g.GetProperty("behaviour").GetString()}";

    private static string Time(DateTimeOffset time) => Uri.EscapeDataString(time.ToString("O", CultureInfo.InvariantCulture));

    private static string Time(long micros) => Time(DateTimeOffset.UnixEpoch.AddTicks(micros * 10));

    private async Task<JsonElement> GetAsync(string path)
    {
        using var client = fixture.Client();
        var response = await client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
