using System.Globalization;
using Microsoft.Playwright;
using WorkloadProfiles.Domain.Identity;
using static WorkloadProfiles.Explorer.Tests.TriageWarehouse;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// The signals view and the profile page in Debian's Chromium over <see cref="TriageWarehouse"/>: grouping counts,
/// pagination, filters, keyboard, deep links, the charts' data and drawing, and the activity tree with its non-process
/// nodes. Screenshots land in artifacts/explorer/ (docs/screenshots/ holds the committed ones).
/// </summary>
[Collection(TriageCollection.Name)]
public sealed class TriageBrowserTests(TriageFixture fixture) : IAsyncLifetime
{
    private static readonly string Artifacts = Path.Combine(LocalClickHouse.RepositoryRoot, "artifacts", "explorer");
    private static readonly string WebPath = Uri.EscapeDataString(Web);
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;
    private readonly List<string> errors = [];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Artifacts);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserTests.Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    [Fact]
    public async Task The_signals_view_groups_pages_filters_and_links_straight_to_a_group()
    {
        var page = await OpenAsync("/signals");
        var totalSignals = Groups.Sum(g => g.Count);

        // 66 groups, 50 to a page; ] turns the page (and the address keeps it).
        await Assertions.Expect(page.Locator("#group-summary")).ToHaveTextAsync($"{Groups.Count} groups · {totalSignals} signals");
        await Assertions.Expect(page.Locator("tr.group-row")).ToHaveCountAsync(50);
        await Assertions.Expect(page.Locator("#groups-pager .page-of")).ToHaveTextAsync("Page 1 of 2");
        await Assertions.Expect(page.Locator($"tr.group-row[data-rule='{ReadRule}'] .group-count")).ToHaveTextAsync("40");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "signals-grouped.png") });
        await page.Keyboard.PressAsync("]");
        await Assertions.Expect(page.Locator("tr.group-row")).ToHaveCountAsync(Groups.Count - 50);
        Assert.Contains("page=2", page.Url);

        // Severity chips filter the signals before grouping (and start again at page 1).
        await page.Locator("label.chip.sev-critical input").CheckAsync();
        var critical = Groups.Where(g => g.Severity == Domain.Signals.Severity.Critical).ToList();
        await Assertions.Expect(page.Locator("#group-summary")).ToHaveTextAsync($"{critical.Count} groups · {critical.Sum(g => g.Count)} signals");
        Assert.Contains("severity=Critical", page.Url);
        Assert.DoesNotContain("page=2", page.Url);

        // Drift only; the last 24 hours (only the miner group was raised then); a rule from the filter values.
        await page.GotoAsync(Url("/signals?origin=drift"));
        await Assertions.Expect(page.Locator("tr.group-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tr.group-row .badge.drift")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator($"tr.group-row[data-rule='{DriftRule}'] .suggestion-state")).ToHaveTextAsync("drift: never");
        await page.Locator("#filter-origin").SelectOptionAsync("");
        await Assertions.Expect(page.Locator("#group-summary")).ToHaveTextAsync($"{Groups.Count} groups · {totalSignals} signals");
        await page.Locator("#filter-range").SelectOptionAsync("24h");
        await Assertions.Expect(page.Locator("tr.group-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tr.group-row")).ToHaveAttributeAsync("data-rule", MinerRule);
        await page.Locator("#filter-range").SelectOptionAsync("");
        await Assertions.Expect(page.Locator("#group-summary")).ToHaveTextAsync($"{Groups.Count} groups · {totalSignals} signals");
        await page.Locator("#filter-rule").SelectOptionAsync(ReadRule);
        await Assertions.Expect(page.Locator("#group-summary")).ToHaveTextAsync("1 group · 40 signals");

        // The keyboard opens the group: j focuses the first row, Enter expands it; its signals page on their own.
        await page.Locator("body").PressAsync("j");
        await page.Keyboard.PressAsync("Enter");
        var detail = page.Locator("tr.group-detail");
        await Assertions.Expect(detail).ToContainTextAsync("40 signals in this group");
        await Assertions.Expect(detail.Locator("tr.signal-row")).ToHaveCountAsync(20);
        await detail.Locator("[data-page='next']").ClickAsync();
        await Assertions.Expect(detail.Locator(".page-of")).ToHaveTextAsync("Page 2 of 2");
        await Assertions.Expect(detail.Locator("tr.signal-row")).ToHaveCountAsync(20);
        await detail.Locator("tr.signal-row").First.ClickAsync();
        await Assertions.Expect(page.Locator("#threshold")).ToContainTextAsync("≥ 80%");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "signals-group-expanded.png") });

        // What a ticket links to: the group's own page, with its count, versions and suggestion state.
        var groupLink = $"/signals/group/{ReadRule}/{WebPath}/{NodeIdentity.Format(ConfId)}";
        await Assertions.Expect(page.Locator("#signal-group-link")).ToHaveAttributeAsync("href", groupLink);
        await page.GotoAsync(Url(groupLink));
        await Assertions.Expect(page.Locator("#group-count")).ToHaveTextAsync("40");
        await Assertions.Expect(page.Locator(".suggestion-state")).ToHaveTextAsync("20 of 40 suggested");
        await Assertions.Expect(page.Locator("tr.signal-row")).ToHaveCountAsync(40);
        await page.Locator("tr.signal-row").Nth(3).ClickAsync();
        Assert.Contains("signal=tri-", page.Url);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "signal-group.png"), FullPage = true });

        // Keyboard help.
        await page.Keyboard.PressAsync("Escape");
        await page.Keyboard.PressAsync("?");
        await Assertions.Expect(page.Locator("#help")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#help")).ToBeHiddenAsync();
        await page.Keyboard.PressAsync("g");
        await page.Keyboard.PressAsync("u");
        await Assertions.Expect(page.Locator("nav a[data-nav='suppressions']")).ToHaveClassAsync("active");
        Assert.True(errors.Count == 0, "The page reported errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task The_profile_page_plots_learning_snapshots_containers_commonality_and_the_timeline()
    {
        var page = await OpenAsync($"/profiles/{WebPath}/2.3");
        var profile = Web23;

        await Assertions.Expect(page.Locator("#progress-snapshots")).ToHaveTextAsync($"{StableSnapshotCount} of {StableSnapshotCount} snapshots");
        await Assertions.Expect(page.Locator("#progress-snapshots [role=progressbar]")).ToHaveAttributeAsync("aria-valuenow", "100");
        await Assertions.Expect(page.Locator("#stable-since")).ToContainTextAsync("snapshot rule");
        await Assertions.Expect(page.Locator("#progress-time")).ToContainTextAsync("of 48 h since the first snapshot");

        // Each chart's numbers (its data table) are the seed's; and each chart drew on its canvas.
        Assert.Equal(StableSnapshotCount, Sum(await Column(page, "chart-snapshots", "Snapshots")));
        Assert.Equal(StableSnapshotCount, (await Column(page, "chart-snapshots", "Snapshots in all"))[^1]);
        Assert.Equal(4, (await Column(page, "chart-containers", "Containers in all"))[^1]);
        Assert.Equal(profile.Nodes.Count, Sum(await Column(page, "chart-timeline", "New processes")) + Sum(await Column(page, "chart-timeline", "New files"))
            + Sum(await Column(page, "chart-timeline", "New dns")) + Sum(await Column(page, "chart-timeline", "New network")));
        Assert.Equal(Signals(fixture.SeededAt).Count(s => s.Signal.Container.ImageTag == "2.3" && s.Signal.Container.ImageName == Web),
            Sum(await Column(page, "chart-timeline", "Signals")));
        foreach (var (kind, label) in new[] { (NodeKind.Process, "Processes"), (NodeKind.File, "Files"), (NodeKind.Dns, "DNS"), (NodeKind.Network, "Network") })
        {
            var expected = Enumerable.Range(0, 10).Select(d => profile.Nodes.Count(n => n.Kind == kind && Math.Min(9, (int)Math.Floor(n.Commonality * 10 + 1e-9)) == d));
            Assert.Equal(expected, await Column(page, "chart-commonality", label));
        }
        foreach (var chart in new[] { "chart-snapshots", "chart-containers", "chart-commonality", "chart-timeline" })
        {
            var painted = await page.EvaluateAsync<int>(
                """
                id => {
                  const canvas = document.querySelector(`#${id} canvas`);
                  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                  let n = 0;
                  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) n++;
                  return n;
                }
                """, chart);
            Assert.True(painted > 500, $"{chart} drew {painted} pixels");
        }
        await Assertions.Expect(page.Locator("#timeline-events")).ToContainTextAsync("Stable after 12 snapshots");
        await page.SetViewportSizeAsync(1440, 1500);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "profile.png") });
        Assert.True(errors.Count == 0, "The page reported errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task The_activity_tree_shows_files_dns_and_network_under_their_processes_searchable_by_keyboard_and_link()
    {
        var page = await OpenAsync($"/profiles/{WebPath}/2.3");
        var tree = page.Locator("#process-tree");
        var nginx = tree.Locator("li[role=treeitem]", new() { Has = page.Locator($".node[data-node-id='{NodeIdentity.Format(NginxId)}']") }).First;
        var conf = tree.Locator($".node[data-node-id='{NodeIdentity.Format(ConfId)}']");
        await Assertions.Expect(conf).ToHaveAttributeAsync("data-kind", "file");
        await Assertions.Expect(conf.Locator(".pct")).ToHaveTextAsync("100%");
        await Assertions.Expect(tree.Locator($".node[data-node-id='{NodeIdentity.Format(ApiDnsId)}']")).ToHaveAttributeAsync("data-kind", "dns");
        await Assertions.Expect(tree.Locator($".node[data-node-id='{NodeIdentity.Format(DbId)}']")).ToContainTextAsync("tcp/5432/private");
        var log = tree.Locator($".node[data-node-id='{NodeIdentity.Format(LogId)}']");
        await Assertions.Expect(log.Locator(".badge.access")).ToHaveTextAsync("w");
        await Assertions.Expect(log.Locator(".pct")).ToHaveTextAsync("75%");
        await Assertions.Expect(tree.Locator($".node[data-node-id='{NodeIdentity.Format(CurlHttpId)}'] .pct")).ToHaveTextAsync("8%");

        // Collapsing nginx hides what is under it.
        await nginx.Locator(".toggle").First.ClickAsync();
        await Assertions.Expect(conf).ToBeHiddenAsync();
        await nginx.Locator(".toggle").First.ClickAsync();
        await Assertions.Expect(conf).ToBeVisibleAsync();

        // Search: / focuses it; only the matching node and its ancestors stay.
        await page.Locator("body").PressAsync("/");
        await page.Keyboard.TypeAsync("5432");
        await Assertions.Expect(page.Locator("#tree-matches")).ToHaveTextAsync("1 match");
        await Assertions.Expect(tree.Locator($".node[data-node-id='{NodeIdentity.Format(DbId)}']")).ToBeVisibleAsync();
        await Assertions.Expect(conf).ToBeHiddenAsync();
        Assert.Contains("q=5432", page.Url);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "profile-tree-search.png") });
        await page.Locator("#tree-search").FillAsync("");
        await Assertions.Expect(conf).ToBeVisibleAsync();

        // Keyboard: ↓ from nginx reaches its first file; Enter opens it in the side panel and puts it in the address.
        await tree.Locator($".node[data-node-id='{NodeIdentity.Format(NginxId)}']").FocusAsync();
        await page.Keyboard.PressAsync("ArrowDown");
        await Assertions.Expect(conf).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#panel")).ToContainTextAsync("/etc/nginx/nginx.conf");
        await Assertions.Expect(page.Locator("#panel")).ToContainTextAsync($"{StableSnapshotCount} of {StableSnapshotCount} snapshots");
        Assert.Contains($"node={NodeIdentity.Format(ConfId)}", page.Url);

        // The other kinds can be hidden.
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator("#panel")).ToBeHiddenAsync();
        await page.Locator("label.chip input[data-kind='file']").UncheckAsync();
        await Assertions.Expect(conf).ToBeHiddenAsync();
        await Assertions.Expect(tree.Locator($".node[data-node-id='{NodeIdentity.Format(DbId)}']")).ToBeVisibleAsync();

        // A link to a node opens the page on it.
        await page.GotoAsync(Url($"/profiles/{WebPath}/2.3?node={NodeIdentity.Format(CurlHttpId)}"));
        await Assertions.Expect(page.Locator("#panel")).ToContainTextAsync("tcp/80/public");
        await Assertions.Expect(page.Locator("#panel")).ToContainTextAsync("/usr/sbin/nginx › /usr/sbin/php-fpm › /bin/sh -c * › /usr/bin/curl");
        await Assertions.Expect(tree.Locator($".node[data-node-id='{NodeIdentity.Format(CurlHttpId)}']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("selected"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "profile-tree-node.png") });
        Assert.True(errors.Count == 0, "The page reported errors:\n" + string.Join("\n", errors));
    }

    private async Task<IPage> OpenAsync(string path)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 1000 } });
        page.PageError += (_, message) => errors.Add(message);
        page.Console += (_, message) => { if (message.Type == "error") errors.Add($"{message.Text} ({message.Location})"); };
        page.Response += (_, response) => { if (response.Status >= 400) errors.Add($"{response.Status} {response.Url}"); };
        await page.GotoAsync(Url("/#token=" + ExplorerFixture.Token));
        await Assertions.Expect(page.Locator("#images")).ToBeVisibleAsync();
        await page.GotoAsync(Url(path));
        return page;
    }

    private string Url(string path) => new Uri(fixture.BaseAddress, path).ToString();

    private static async Task<List<int>> Column(IPage page, string chart, string series) =>
        (await page.Locator($"#{chart} td[data-series='{series}']").AllTextContentsAsync())
            .Select(t => int.Parse(t.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture)).ToList();

    private static int Sum(List<int> values) => values.Sum();

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
