using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ClickHouse.Driver.ADO;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.ClickHouse.Tables;
using WorkloadProfiles.Explorer.Data;

namespace WorkloadProfiles.Explorer.Bench;

/// <summary>
/// <c>wp-explorer bench</c>: seeds a warehouse of its own (database <c>Bench:Database</c>, default <c>wp_bench_signals</c>)
/// with <c>Bench:Signals</c> enriched signals (default 100 000, 5 % of them enriched twice so FINAL has work), starts the
/// explorer on Kestrel over it and times the signals view's API — grouped pages, a filtered page, a deep page, a group's
/// signals, the filter values — against raw baselines measured in the same run: the data layer's grouped query
/// without HTTP, and <c>SELECT count() FROM enriched_signals FINAL</c> through the driver (the cost of reading every
/// latest signal once; the explorer reads them through <c>enriched_signals_latest</c>, also timed). Prints p50/p99 over <c>Bench:Requests</c> requests per case (default 200) after a warm-up.
/// </summary>
internal static class SignalGroupBenchmark
{
    private const string Token = "bench-token-7d1e44b2a9c0";

    public static async Task<int> RunAsync(IConfiguration configuration)
    {
        var signalCount = configuration.GetValue("Bench:Signals", 100_000);
        var requests = configuration.GetValue("Bench:Requests", 200);
        var databaseName = configuration["Bench:Database"] ?? "wp_bench_signals";
        var clickHouse = configuration.GetSection(ClickHouseOptions.SectionName).Get<ClickHouseOptions>() ?? new ClickHouseOptions();

        using var database = new ClickHouseDatabase(clickHouse, databaseName);
        var seeded = Stopwatch.StartNew();
        await database.DropIfExistsAsync();
        await new Migrator(database).MigrateAsync();
        var endUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        var signals = SyntheticSignals.Generate(signalCount, endUs, seed: 19).ToList();
        // Sink-sized batches, so the table has the parts a live sink leaves; a re-enriched 5 % makes FINAL collapse rows.
        foreach (var batch in signals.Chunk(5000)) await database.InsertAsync(EnrichedSignalsTable.Table, batch.Select(EnrichedSignalsTable.Row));
        await database.InsertAsync(EnrichedSignalsTable.Table, signals.Where((_, i) => i % 20 == 0).Select(s => EnrichedSignalsTable.Row(s with { EnrichedAtUs = s.EnrichedAtUs + 1 })));
        var groups = await database.ScalarTextAsync($"SELECT count() FROM (SELECT 1 FROM enriched_signals_latest GROUP BY rule_id, image_name, {SignalColumns.Profiled}, {SignalColumns.BehaviourKey})");
        var rows = await database.ScalarTextAsync("SELECT count() FROM enriched_signals");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded {signalCount:N0} signals ({rows.Trim()} rows with re-enrichments) in {groups.Trim()} groups, database {databaseName}, in {seeded.Elapsed.TotalSeconds:0.0} s"));

        var connection = new ClickHouseConnectionStringBuilder(clickHouse.ConnectionString) { Database = databaseName }.ConnectionString;
        await using var app = ExplorerApp.Create([], c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Explorer:Token"] = Token,
            ["Explorer:Urls"] = "http://127.0.0.1:0",
            ["ClickHouse:ConnectionString"] = connection,
            ["Logging:LogLevel:Default"] = "Warning",
        }));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

        // The largest group, for the expansion case.
        var top = await http.GetFromJsonAsync<JsonElement>("/api/signal-groups?sort=count&size=1");
        var group = top.GetProperty("groups")[0];
        var groupPath = group.GetProperty("link").GetString()!.Replace("/signals/group/", "/api/signal-groups/", StringComparison.Ordinal);
        var weekAgo = Uri.EscapeDataString(DateTimeOffset.FromUnixTimeMilliseconds(endUs / 1000).AddDays(-7).ToString("O", CultureInfo.InvariantCulture));
        var reader = new SignalGroupReader(database, TimeProvider.System);

        var cases = new (string Name, Func<Task> Run)[]
        {
            ("raw: SELECT count() FROM enriched_signals FINAL", () => database.ScalarTextAsync("SELECT count() FROM enriched_signals FINAL")),
            ("raw: SELECT count() FROM enriched_signals_latest", () => database.ScalarTextAsync("SELECT count() FROM enriched_signals_latest")),
            ("raw: data layer, grouped page 1 (no HTTP)", () => reader.GroupsAsync(new SignalScope(), SignalGroupSort.LastSeen, 1, 50, CancellationToken.None)),
            ("API: grouped page 1, 50 groups by last seen", () => Get(http, "/api/signal-groups?size=50")),
            ("API: page 20", () => Get(http, "/api/signal-groups?size=50&page=20")),
            ("API: High+Critical, last 7 days, rules only, by count", () => Get(http, $"/api/signal-groups?severity=High,Critical&from={weekAgo}&origin=rule&sort=count")),
            ("API: drift only, by severity", () => Get(http, "/api/signal-groups?origin=drift&sort=severity")),
            ($"API: largest group's signals ({group.GetProperty("count").GetUInt64():N0}), page 1", () => Get(http, $"{groupPath}/signals?size=50")),
            ("API: filter values (facets)", () => Get(http, "/api/signal-groups/facets")),
        };
        var times = cases.Select(_ => new List<double>(requests)).ToArray();
        for (var round = -10; round < requests; round++)
        {
            for (var c = 0; c < cases.Length; c++)
            {
                var watch = Stopwatch.StartNew();
                await cases[c].Run();
                if (round >= 0) times[c].Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        await app.StopAsync();

        var rawScan = Percentile(times[0], 0.5);
        var rawGrouped = Percentile(times[2], 0.5); // the data layer's grouped query

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{requests} requests per case after 10 warm-up rounds, one at a time, cases interleaved:"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"case",-62} {"p50 ms",8} {"p99 ms",8} {"p50/scan",9} {"p50/grouped",12}"));
        for (var c = 0; c < cases.Length; c++)
        {
            var p50 = Percentile(times[c], 0.5);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{cases[c].Name,-62} {p50,8:0.0} {Percentile(times[c], 0.99),8:0.0} {p50 / rawScan,9:0.00} {p50 / rawGrouped,12:0.00}"));
        }
        if (!configuration.GetValue("Bench:Keep", false)) await database.DropIfExistsAsync();
        return 0;
    }

    private static async Task Get(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
    }

    /// <summary>Nearest-rank percentile.</summary>
    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
