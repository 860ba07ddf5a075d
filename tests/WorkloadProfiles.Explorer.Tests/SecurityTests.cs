using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace WorkloadProfiles.Explorer.Tests;

[Collection(ExplorerCollection.Name)]
public sealed class SecurityTests(ExplorerFixture fixture)
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "/api/images" },
        { "GET", "/api/images/nginx/profiles" },
        { "GET", "/api/profiles/nginx/1.26" },
        { "GET", "/api/profiles/nginx/1.26/compare/1.27" },
        { "GET", "/api/profiles/nginx/1.26/export.json" },
        { "GET", "/api/profiles/nginx/1.26/export/falco.yaml" },
        { "GET", "/api/profiles/nginx/1.26/export/networkpolicy.yaml" },
        { "GET", "/api/signals" },
        { "GET", "/api/signal-groups" },
        { "GET", "/api/signal-groups/facets" },
        { "GET", $"/api/signal-groups/{Warehouse.ReadRule}/nginx/{Domain.Identity.NodeIdentity.Format(Warehouse.ConfId)}" },
        { "GET", $"/api/signal-groups/{Warehouse.ReadRule}/nginx/{Domain.Identity.NodeIdentity.Format(Warehouse.ConfId)}/signals" },
        { "GET", "/api/profiles/nginx/1.26/activity" },
        { "GET", $"/api/signals/{Warehouse.ConfSignal}" },
        { "GET", "/api/suppressions" },
        { "POST", "/api/suppressions" },
        { "DELETE", $"/api/suppressions/{Uri.EscapeDataString(Warehouse.ExistingSuppression.Id)}" },
        { "GET", "/api/no-such-endpoint" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_api_endpoint_answers_401_without_the_token(string method, string path)
    {
        using var client = fixture.Client(token: null);
        var response = await client.SendAsync(Request(method, path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_api_endpoint_answers_401_with_a_wrong_token(string method, string path)
    {
        using var client = fixture.Client(token: ExplorerFixture.Token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Request(method, path))).StatusCode);
    }

    [Fact]
    public async Task A_basic_credential_is_not_a_bearer_token()
    {
        using var client = fixture.Client(token: null);
        var request = Request("GET", "/api/images");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", ExplorerFixture.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task The_page_loads_without_the_token_and_holds_no_data()
    {
        using var client = fixture.Client(token: null);
        foreach (var path in new[] { "/", "/profiles/nginx/1.26", "/signals" })
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains("app.js", html);
            Assert.DoesNotContain("1.26", html);
            Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
        }
    }

    [Fact]
    public async Task The_chart_library_is_served_by_the_explorer_itself_and_the_page_loads_nothing_from_elsewhere()
    {
        using var client = fixture.Client(token: null);
        var html = await client.GetStringAsync("/");
        var sources = System.Text.RegularExpressions.Regex.Matches(html, "(?:src|href)=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("/vendor/uPlot.iife.min.js", sources);
        Assert.Contains("/vendor/uPlot.min.css", sources);
        Assert.All(sources, source => Assert.StartsWith("/", source));   // same origin only: no CDN, works offline

        var script = await client.GetAsync("/vendor/uPlot.iife.min.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("uPlot", await script.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/vendor/uPlot.min.css")).StatusCode);
        Assert.Contains("MIT", await client.GetStringAsync("/vendor/uPlot.LICENSE.txt"));
        Assert.Equal("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            script.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task A_failing_query_answers_a_generic_problem_with_a_trace_id_and_no_internals()
    {
        // An explorer whose database does not exist: every query fails inside ClickHouse.
        var (app, baseAddress) = await ExplorerFixture.StartExplorerAsync(
            LocalClickHouse.ConnectionStringFor("wp_explorer_missing_db"), fixture.Broker.BootstrapServers);
        try
        {
            using var client = new HttpClient { BaseAddress = baseAddress };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ExplorerFixture.Token);

            var response = await client.GetAsync("/api/images");

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            var problem = JsonSerializer.Deserialize<JsonElement>(body);
            Assert.Equal("An unexpected error occurred.", problem.GetProperty("title").GetString());
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
            foreach (var leak in new[] { "Exception", " at ", "DB::", "wp_explorer_missing_db", "SELECT", ".cs:line" })
            {
                Assert.DoesNotContain(leak, body, StringComparison.Ordinal);
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_a_configured_token_the_explorer_generates_one_rather_than_running_open()
    {
        var (app, baseAddress) = await ExplorerFixture.StartExplorerAsync(
            LocalClickHouse.ConnectionStringFor(fixture.Database.Name), fixture.Broker.BootstrapServers, token: "");
        try
        {
            var generated = app.Services.GetRequiredService<Security.ExplorerToken>();
            Assert.True(generated.Generated);
            Assert.True(generated.Value.Length >= 32);
            Assert.NotEqual(ExplorerFixture.Token, generated.Value);

            using var client = new HttpClient { BaseAddress = baseAddress };
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/images")).StatusCode);
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", generated.Value);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/images")).StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = JsonContent.Create(new { signalId = Warehouse.ConfSignal });
        return request;
    }
}
