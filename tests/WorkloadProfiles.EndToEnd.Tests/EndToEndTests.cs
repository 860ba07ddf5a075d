using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.Local;
using WorkloadProfiles.Testing;
using Xunit.Abstractions;

namespace WorkloadProfiles.EndToEnd.Tests;

/// <summary>
/// The product end to end, as <c>wp-local</c> runs it: the real kernel (eBPF agent), two podman containers of one image
/// running the demo workload, the local broker, the stream jobs, the sink, local ClickHouse and the explorer. Windows
/// are 10 s (time scale 180) and a profile turns Stable after 6 snapshots, so the story takes a couple of minutes.
/// </summary>
public sealed class EndToEndTests(ITestOutputHelper output)
{
    const double TimeScale = 180;
    const int StableSnapshots = 6;
    const string Image = "localhost/wp-demo";
    const string Rule = "wp.mining-port";
    static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    [SkippableFact]
    public async Task Profiles_an_image_suggests_suppressions_for_its_behaviour_only_and_an_accepted_suppression_stops_the_signal()
    {
        var unavailable = DemoWorkload.Unavailable();
        Skip.If(unavailable is not null, unavailable);
        var tag = "e2e-" + Guid.NewGuid().ToString("N")[..8];
        var database = "wp_e2e_" + tag[4..];
        var overrides = IsolatedRun.Overrides(database, tag);
        overrides["Profiles:StableSnapshotCount"] = StableSnapshots.ToString(CultureInfo.InvariantCulture);
        var options = new LocalRunOptions
        {
            Agent = AgentSource.Live,
            TimeScale = TimeScale,
            DemoImageTag = tag,
            DemoContainers = 2,
            BrokerPort = LocalBrokerProcess.FreePort(),
            BrokerControlPort = LocalBrokerProcess.FreePort(),
            WorkDirectory = Directory.CreateTempSubdirectory("wp-e2e-").FullName,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(overrides!).Build();

        var pipeline = await LocalPipeline.StartAsync(options, configuration, overrides, NullLoggerFactory.Instance,
            line => output.WriteLine(line), CancellationToken.None);
        var warehouse = new Warehouse(pipeline.Database, Image, tag);
        try
        {
            // 1. The profile forms from both containers and turns Stable at the snapshot threshold.
            await Until(async () => await warehouse.ProfileAsync() is { Status: "Stable" }, "the profile to turn Stable");
            var profile = (await warehouse.ProfileAsync())!;
            Assert.True(profile.SnapshotCount >= StableSnapshots, $"Stable at {profile.SnapshotCount} snapshots");
            Assert.True(profile.SnapshotCount < StableSnapshots + 2 * 2, "Stable by the snapshot threshold, not later");
            Assert.InRange(profile.Commonality, 0.5, 1.0);
            // The sink writes a profile's row and its nodes' rows in two inserts: wait for the Stable revision's nodes.
            IReadOnlyList<NodeRow> nodes = [];
            await Until(async () => (nodes = await warehouse.NodesAsync(profile.LatestRevision)).Count > 0, "the Stable revision's nodes");
            foreach (var node in nodes.OrderBy(n => n.Kind).ThenBy(n => n.Key)) output.WriteLine($"profile node {node}");
            Assert.Contains(nodes, n => n is { Kind: "process", Key: "/bin/busybox sh -c *", Commonality: >= 0.8 });
            Assert.Contains(nodes, n => n is { Kind: "process", Key: "/bin/busybox cat", Commonality: >= 0.8 });
            Assert.Contains(nodes, n => n is { Kind: "file", Key: "/etc/app.conf", Commonality: >= 0.8, ContainerCount: 2 });
            Assert.Contains(nodes, n => n is { Kind: "file", Key: "/etc/motd", Commonality: >= 0.8 });
            Assert.Contains(nodes, n => n is { Kind: "dns", Key: "api.demo.internal", Commonality: >= 0.8 });

            Assert.Contains(nodes, n => n is { Kind: "network", Commonality: >= 0.8 } && n.Key.Contains("3333", StringComparison.Ordinal));

            // 2. The loop's probe of local port 3333 hits the mining-port rule, but the profile knows it: suggestion.
            SignalRow? suggested = null;
            await Until(async () => (suggested = await warehouse.SuggestedSignalAsync(Rule)) is not null,
                $"an enriched {Rule} signal with a suppression suggestion");

            // 3. Behaviour the profile never saw: reading /etc/shadow. A signal, without a suggestion.
            await pipeline.Workload!.ExecAsync(pipeline.ContainerIds[0], "cat /etc/shadow >/dev/null", CancellationToken.None);
            await Until(() => warehouse.UnsuggestedAsync("wp.read-credentials"), "a wp.read-credentials signal without a suggestion");
            Assert.Equal(0, await warehouse.SuggestedCountAsync("wp.read-credentials"));

            // 3b. A new container of the Stable image: the agent no longer profiles the image, but detection watches every
            // container — its learned behaviour gets signals with suggestions, and what the profile never saw one without.
            var fresh = await pipeline.Workload!.StartContainerAsync(Image, tag, DemoWorkload.Script, CancellationToken.None);
            await Until(async () => await warehouse.SuggestedSignalAsync(Rule, fresh) is not null,
                $"a suggested {Rule} signal of the new container {fresh[..12]}");
            await pipeline.Workload.ExecAsync(fresh, "cat /etc/shadow >/dev/null", CancellationToken.None);
            await Until(() => warehouse.UnsuggestedAsync("wp.read-credentials", fresh), "a wp.read-credentials signal of the new container without a suggestion");
            Assert.Equal(0, await warehouse.SuggestedCountAsync("wp.read-credentials"));

            using var http = new HttpClient { BaseAddress = new Uri(pipeline.ExplorerUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", pipeline.ExplorerToken);

            // 3c. Drift: the new container resolves a name and runs a program the Stable profile never saw. No rule is about
            // either; both raise wp.drift.* signals, enriched, never suggested. Allowing the DNS drift in the explorer stops it,
            // while the process drift keeps coming in later windows (so the window did turn over).
            const string NewName = "telemetry-sync.example.org";
            // A program the image never ran (busybox runs some applets without an exec; a copy under another name always
            // execs), and a name it never resolved (nothing answers DNS here: the lookup's failure is expected).
            const string Odd = $"cp /bin/busybox /tmp/probe; /tmp/probe uname -a >/dev/null; nslookup {NewName} 127.0.0.1 >/dev/null 2>&1; true";
            await pipeline.Workload.ExecAsync(fresh, Odd, CancellationToken.None);
            IReadOnlyList<DriftRow> drift = [];
            try
            {
                await Until(async () => (drift = await warehouse.DriftAsync(fresh)).Any(d => d.RuleId == "wp.drift.dns" && d.BehaviourDetail == NewName)
                    && drift.Any(d => d.RuleId == "wp.drift.process" && d.BehaviourDetail.StartsWith("/tmp/probe", StringComparison.Ordinal)),
                    "a DNS drift and a process drift of the new container");
            }
            catch (TimeoutException)
            {
                // What the drift half of the snapshot job saw, for the failure report.
                using var metrics = new HttpClient();
                var text = await metrics.GetStringAsync(new Uri($"http://127.0.0.1:{overrides["Http:Port"]}/metrics"));
                foreach (var line in text.Split('\n').Where(l => l.StartsWith("wp_streams_drift", StringComparison.Ordinal))) output.WriteLine(line);
                foreach (var row in drift) output.WriteLine($"drift so far: {row}");
                throw;
            }
            Assert.All(drift, d => Assert.Equal(0, d.HasSuggestion));
            Assert.All(drift, d => Assert.StartsWith("drift signals are never suggested", d.NoSuggestionReason, StringComparison.Ordinal));
            var dnsDrift = drift.First(d => d.RuleId == "wp.drift.dns" && d.BehaviourDetail == NewName);
            Assert.NotEqual("", dnsDrift.ProfileClosestNodeKey);
            Assert.DoesNotContain(drift, d => d.RuleId == "wp.drift.dns" && d.BehaviourDetail == "api.demo.internal"); // learnt

            using (var allowed = await http.PostAsJsonAsync("/api/suppressions", new { signalId = dnsDrift.SignalId }))
            {
                Assert.True(allowed.IsSuccessStatusCode, $"allowing the drift: {(int)allowed.StatusCode} {await allowed.Content.ReadAsStringAsync()}");
            }

            var allowedAtUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
            var lastProbe = drift.Where(d => d.RuleId == "wp.drift.process").Max(d => d.TimestampUs);
            await Until(async () =>
            {
                await pipeline.Workload.ExecAsync(fresh, Odd, CancellationToken.None);
                drift = await warehouse.DriftAsync(fresh);
                return drift.Any(d => d.RuleId == "wp.drift.process" && d.TimestampUs > allowedAtUs + 1_000_000 && d.TimestampUs > lastProbe);
            }, "the process drift again in a later window, after the allow");
            Assert.DoesNotContain(drift, d => d.RuleId == "wp.drift.dns" && d.BehaviourDetail == NewName && d.TimestampUs > allowedAtUs + 5_000_000);

            // 4. Accept the suggestion through the explorer, as the security engineer does.
            using (var accepted = await http.PostAsJsonAsync("/api/suppressions", new { signalId = suggested!.SignalId }))
            {
                Assert.True(accepted.IsSuccessStatusCode, $"accepting the suggestion: {(int)accepted.StatusCode} {await accepted.Content.ReadAsStringAsync()}");
            }

            var acceptedAtUs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

            // 5. The behaviour goes on (the loop runs the health check every 2 s and snapshots keep recording its node),
            // but the signal stops: a whole window that saw the node closes after the last such signal.
            await Until(async () =>
            {
                var last = await warehouse.LastSignalUsAsync(Rule, suggested.SuggestionNodeId);
                return await warehouse.WindowWithNodeAfterAsync(suggested.SuggestionNodeId, last + 1_000_000);
            }, "a closed window in which the suppressed behaviour ran without a signal");
            var lastSignalUs = await warehouse.LastSignalUsAsync(Rule, suggested.SuggestionNodeId);
            Assert.True(lastSignalUs < acceptedAtUs + 30_000_000, "the suppression took effect within 30 s");
        }
        finally
        {
            await IsolatedRun.StopAndDropAsync(pipeline, overrides);
        }
    }

    async Task Until(Func<Task<bool>> condition, string what)
    {
        await Poll.UntilAsync(condition, Deadline, what);
        output.WriteLine($"{DateTime.Now:HH:mm:ss} {what}: ok");
    }
}
