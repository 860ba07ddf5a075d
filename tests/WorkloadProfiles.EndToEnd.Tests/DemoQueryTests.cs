using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.Local;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>
/// Every analyst query in <c>sql/queries/</c>, as shipped (its parameters untouched), returns rows on the demo data:
/// the warehouse <c>wp-local</c> fills when it replays the generated demo recording (two versions of
/// <c>localhost/wp-demo</c>) through the broker, the stream jobs and the sink.
/// </summary>
public sealed class DemoQueryTests(ITestOutputHelper output)
{
    static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    static string QueriesFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return Path.Combine(dir.FullName, "sql", "queries");
            }

            throw new InvalidOperationException("repository root not found");
        }
    }

    [Fact]
    public async Task Every_query_file_as_shipped_returns_rows_on_the_demo_data()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var overrides = IsolatedRun.Overrides($"wp_demo_{run}", "demo-" + run);
        var options = new LocalRunOptions
        {
            Agent = AgentSource.Replay,
            TimeScale = 360, // 5 s windows: the 8-window recording replays in 40 s
            BrokerPort = LocalBrokerProcess.FreePort(),
            BrokerControlPort = LocalBrokerProcess.FreePort(),
            WorkDirectory = Directory.CreateTempSubdirectory("wp-demo-queries-").FullName,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(overrides!).Build();

        var pipeline = await LocalPipeline.StartAsync(options, configuration, overrides, NullLoggerFactory.Instance,
            line => output.WriteLine(line), CancellationToken.None);
        try
        {
            var files = Directory.GetFiles(QueriesFolder, "*.sql").Order(StringComparer.Ordinal).ToList();
            Assert.Equal(7, files.Count);
            var pending = files.ToHashSet();
            await Poll.UntilAsync(async () =>
            {
                foreach (var file in pending.ToList())
                {
                    var result = await ClickHouseCli.RunAsync(pipeline.Database.Name, await File.ReadAllTextAsync(file));
                    Assert.True(result.ExitCode == 0, $"{Path.GetFileName(file)}: clickhouse-client exited with {result.ExitCode}: {result.Error}");
                    var rows = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1; // minus the header
                    if (rows > 0)
                    {
                        output.WriteLine($"{DateTime.Now:HH:mm:ss} {Path.GetFileName(file)}: {rows} rows\n{result.Output}");
                        pending.Remove(file);
                    }
                }

                return pending.Count == 0;
            }, Deadline, "rows from every query file");
        }
        finally
        {
            await IsolatedRun.StopAndDropAsync(pipeline, overrides);
        }
    }
}
