using Microsoft.Playwright;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Explorer.Tests;

/// <summary>
/// The page in a real browser: Debian's Chromium driven by Playwright (its bundled driver; no browser download).
/// Screenshots land in artifacts/explorer/ at the repository root for a person to look at.
/// </summary>
[Collection(ExplorerCollection.Name)]
public sealed class BrowserTests(ExplorerFixture fixture) : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private static readonly string Artifacts = Path.Combine(LocalClickHouse.RepositoryRoot, "artifacts", "explorer");
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} is missing: apt-get install -y chromium");
        Directory.CreateDirectory(Artifacts);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    [Fact]
    public async Task A_security_engineer_browses_a_profile_and_suppresses_a_signal_from_its_suggestion()
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 1000 } });
        var errors = new List<string>();
        page.PageError += (_, message) => errors.Add(message);
        page.Console += (_, message) => { if (message.Type == "error") errors.Add($"{message.Text} ({message.Location})"); };
        page.Response += (_, response) => { if (response.Status >= 400) errors.Add($"{response.Status} {response.Url}"); };

        // The token arrives in the fragment (never sent to the server) and is kept for the tab.
        await page.GotoAsync(new Uri(fixture.BaseAddress, $"/#token={ExplorerFixture.Token}").ToString());

        // Security Profiles: grouped by image; opening nginx lists its versions.
        var nginx = page.Locator("tr.image-row[data-image='nginx']");
        await nginx.ClickAsync();
        var version = page.Locator("tr.version[data-tag='1.26']");
        await Assertions.Expect(version.Locator("td").Nth(4)).ToHaveTextAsync("4"); // snapshots
        await Assertions.Expect(version).ToContainTextAsync("Stable");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "profiles.png"), FullPage = true });

        // Profile detail: the process tree with commonality per node.
        await version.Locator("a").ClickAsync();
        var tree = page.Locator("#process-tree");
        await Assertions.Expect(tree.Locator(".node").First).ToContainTextAsync("/usr/sbin/nginx");
        var shell = tree.Locator($".node[data-node-id='{Domain.Identity.NodeIdentity.Format(Warehouse.ShellId)}']");
        await Assertions.Expect(shell).ToContainTextAsync(Warehouse.ShellKey);
        await Assertions.Expect(shell.Locator(".pct")).ToHaveTextAsync("25%");
        await Assertions.Expect(tree.Locator(".node").First.Locator(".pct")).ToHaveTextAsync("100%");
        await Assertions.Expect(page.Locator("tr.container-row[data-profiled='true']")).ToHaveCountAsync(2);

        // A process opens the side panel with its files, DNS and network and their commonality.
        await tree.Locator(".node").First.ClickAsync();
        await Assertions.Expect(page.Locator("#panel")).ToContainTextAsync("/etc/nginx/nginx.conf");
        await Assertions.Expect(page.Locator("#panel")).ToContainTextAsync("api.example.com");
        await Assertions.Expect(page.Locator("#panel")).ToContainTextAsync("tcp/443/public");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "profile-detail.png"), FullPage = true });

        // Compare with another version: relative to the newer one, whichever page it was opened from. 1.27 dropped the
        // shell (and what ran under it) and 1.26's DNS name, and resolves a new one.
        await page.Locator("#compare-with").SelectOptionAsync("1.27");
        await Assertions.Expect(page.Locator("#compare-title")).ToHaveTextAsync("nginx: 1.26 → 1.27");
        await Assertions.Expect(page.Locator("#added")).ToContainTextAsync("Added in 1.27 (newer)");
        await Assertions.Expect(page.Locator("#added")).ToContainTextAsync("new.example.com");
        await Assertions.Expect(page.Locator("#added")).Not.ToContainTextAsync("/bin/sh");
        await Assertions.Expect(page.Locator("#removed")).ToContainTextAsync("/usr/sbin/nginx › /bin/sh -c *");
        await Assertions.Expect(page.Locator("#removed")).ToContainTextAsync("api.example.com");
        var counts = page.Locator("#counts-by-kind");
        await Assertions.Expect(counts.Locator("tr[data-kind='dns'] .added-count")).ToHaveTextAsync("+1");
        await Assertions.Expect(counts.Locator("tr[data-kind='dns'] .removed-count")).ToHaveTextAsync("−1");
        await Assertions.Expect(counts.Locator("tr[data-kind='process'] .removed-count")).ToHaveTextAsync("−2");
        await Assertions.Expect(counts.Locator("tr[data-kind='network'] .removed-count")).ToHaveTextAsync("−1");
        await Assertions.Expect(counts.Locator("tr[data-kind='process'] .added-count")).ToHaveTextAsync("0");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "compare.png"), FullPage = true });
        // The same two versions from the newer one's page read the same way.
        await page.GotoAsync(new Uri(fixture.BaseAddress, "/profiles/nginx/1.27/compare/1.26").ToString());
        await Assertions.Expect(page.Locator("#compare-title")).ToHaveTextAsync("nginx: 1.26 → 1.27");
        await Assertions.Expect(page.Locator("#added")).ToContainTextAsync("new.example.com");

        // Signals: grouped; opening the DNS group lists its signal, whose side panel shows the profile context, the
        // suggestion and the threshold it was judged against; Suppress → Add suppression to rule.
        await page.Locator("nav a[data-nav='signals']").ClickAsync();
        var group = page.Locator($"tr.group-row[data-rule='{Warehouse.DnsRule}']");
        await Assertions.Expect(group.Locator(".group-count")).ToHaveTextAsync("1");
        await group.ClickAsync();
        await page.Locator($"tr.signal-row[data-signal-id='{Warehouse.DnsSignal}']").ClickAsync();
        await Assertions.Expect(page.Locator("#profile-context")).ToContainTextAsync("nginx:1.26");
        await Assertions.Expect(page.Locator("#view-profile")).ToHaveAttributeAsync("href", "/profiles/nginx/1.26");
        // The signal's Kubernetes pod: its namespace and owning workload.
        await Assertions.Expect(page.Locator("#signal-namespace")).ToHaveTextAsync("payments");
        await Assertions.Expect(page.Locator("#signal-k8s-workload")).ToHaveTextAsync("Deployment/web");
        await Assertions.Expect(page.Locator("#suggestion")).ToContainTextAsync("100%");
        await Assertions.Expect(page.Locator("#suggestion-threshold")).ToContainTextAsync("80%");
        await Assertions.Expect(page.Locator("#threshold")).ToContainTextAsync("≥ 80%");
        await page.Locator("#suppress").ClickAsync();
        await Assertions.Expect(page.Locator(".confirm pre")).ToHaveTextAsync(SuggestionMatcher.Expression(Warehouse.Nginx, Warehouse.ApiDnsId, [""]));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "signal-suggestion.png") });
        await page.Locator("#add-suppression").ClickAsync();
        await Assertions.Expect(page.Locator("#suppressed")).ToContainTextAsync("Suppressed by explorer");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "signal-suppressed.png") });

        // The record reached the broker, scoped to the node the suggestion named.
        var expectedId = Suppression.MakeId(Warehouse.DnsRule, Warehouse.Nginx, Warehouse.ApiDnsId, [""]);
        var (key, record) = await fixture.ConsumeSuppressionAsync(s => s.Id == expectedId, TimeSpan.FromSeconds(30));
        Assert.Equal(expectedId, key);
        Assert.Equal(Warehouse.DnsRule, record.RuleId);
        Assert.Equal(Warehouse.ApiDnsId, record.NodeId);
        Assert.Equal("explorer", record.CreatedBy);
        Assert.Equal(Warehouse.DnsSignal, record.FromSignalId);
        Assert.False(record.Removed);

        // "View Security Profile" leads back to the profile page.
        await page.Locator("#view-profile").ClickAsync();
        await Assertions.Expect(page.Locator("#process-tree")).ToBeVisibleAsync();
        Assert.Equal(new Uri(fixture.BaseAddress, "/profiles/nginx/1.26").ToString(), page.Url);

        // The suppressions page lists it, with who added it.
        await page.Locator("nav a[data-nav='suppressions']").ClickAsync();
        var row = page.Locator($"tr.suppression-row[data-id='{expectedId}']");
        await Assertions.Expect(row).ToContainTextAsync("explorer");
        await Assertions.Expect(row.Locator("button")).ToHaveTextAsync("Remove");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts, "suppressions.png") });
        Assert.True(errors.Count == 0, "The page reported errors:\n" + string.Join("\n", errors));
    }

    [Fact]
    public async Task Without_a_token_the_page_asks_for_one_and_a_wrong_one_is_refused()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(fixture.BaseAddress, "/").ToString());
        await Assertions.Expect(page.Locator("#login")).ToBeVisibleAsync();

        await page.Locator("#token-input").FillAsync("not-the-token");
        await page.Locator("#login-form button").ClickAsync();
        await Assertions.Expect(page.Locator("#login-error")).ToHaveTextAsync("The token was not accepted.");

        await page.Locator("#token-input").FillAsync(ExplorerFixture.Token);
        await page.Locator("#login-form button").ClickAsync();
        await Assertions.Expect(page.Locator("tr.image-row[data-image='nginx']")).ToBeVisibleAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
