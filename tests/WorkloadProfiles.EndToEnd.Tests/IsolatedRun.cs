using System.Globalization;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.Local;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>Settings that keep one local pipeline of a test apart from any other on the machine.</summary>
internal static class IsolatedRun
{
    /// <summary>Its own ClickHouse database on the configured server, its own consumer groups (named with
    /// <paramref name="suffix"/>) and free ports for every listener.</summary>
    public static Dictionary<string, string> Overrides(string database, string suffix)
    {
        var server = Environment.GetEnvironmentVariable("WP_ClickHouse__ConnectionString") is { Length: > 0 } configured
            ? configured
            : ClickHouseOptions.DefaultConnectionString;
        return new Dictionary<string, string>
        {
            ["ClickHouse:ConnectionString"] = new global::ClickHouse.Driver.ADO.ClickHouseConnectionStringBuilder(server) { Database = database }.ConnectionString,
            ["Sink:GroupId"] = "wp-sink-" + suffix,
            ["Streams:ApplicationId"] = "wp-streams-" + suffix,
            ["Http:Port"] = LocalBrokerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Explorer:Urls"] = $"http://127.0.0.1:{LocalBrokerProcess.FreePort()}",
            ["Sink:MetricsPort"] = LocalBrokerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// Stops <paramref name="pipeline"/>, then drops the run's database. In that order: a DROP waits for every query on
    /// the database's tables, and the sink and explorer query them until they stop. (A DROP that still outlasts the
    /// client's timeout on a loaded machine — CI on 2026-12-02 — is waited for by <see cref="ClickHouseDatabase.DropIfExistsAsync"/>.)
    /// </summary>
    public static async Task StopAndDropAsync(LocalPipeline pipeline, IReadOnlyDictionary<string, string> overrides)
    {
        await pipeline.DisposeAsync();
        using var database = new ClickHouseDatabase(overrides["ClickHouse:ConnectionString"]);
        try
        {
            await database.DropIfExistsAsync();
        }
        catch (HttpRequestException)
        {
            // The pipeline started the server itself and stopped it with the rest; nothing else writes there.
        }
    }
}
