using System.Globalization;
using Prometheus;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>The agent's memory gauges are read at each scrape, so what the endpoint shows follows the process.</summary>
public sealed class AgentMetricsTests
{
    [Fact]
    public async Task A_scrape_reports_the_managed_heap_as_it_is_then()
    {
        var metrics = new AgentMetrics();
        var before = await ScrapeAsync(metrics.Registry);

        var kept = new byte[4 * 1024 * 1024];
        GC.Collect();
        var after = await ScrapeAsync(metrics.Registry);
        GC.KeepAlive(kept);

        Assert.True(after["wp_agent_gc_allocated_bytes"] >= before["wp_agent_gc_allocated_bytes"] + kept.Length,
            $"allocated {before["wp_agent_gc_allocated_bytes"]} → {after["wp_agent_gc_allocated_bytes"]}");
        Assert.True(after["wp_agent_gc_collections{generation=\"0\"}"] > before["wp_agent_gc_collections{generation=\"0\"}"]);
        Assert.True(after["wp_agent_gc_heap_bytes"] >= kept.Length, $"heap {after["wp_agent_gc_heap_bytes"]}");
        Assert.True(after["wp_agent_gc_committed_bytes"] >= after["wp_agent_gc_heap_bytes"]);
    }

    static async Task<Dictionary<string, double>> ScrapeAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith("wp_agent_gc_", StringComparison.Ordinal))
            .Select(line => line.Split(' '))
            .ToDictionary(parts => parts[0], parts => double.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
