using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using WorkloadProfiles.ClickHouse;
using WorkloadProfiles.ClickHouse.Migrations;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Explorer;
using WorkloadProfiles.Hosting;
using WorkloadProfiles.Kafka;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Sink;

namespace WorkloadProfiles.Local;

/// <summary>
/// The whole pipeline on one machine: the in-process broker on a fixed loopback port, local ClickHouse with the
/// migrations applied, the stream jobs (<c>wp-streams</c> child process), the ClickHouse sink and the explorer
/// (in-process), and the agent (<c>wp-agent</c> child process) capturing the demo workload live or replaying a
/// recording. Disposing stops everything it started, in reverse order.
/// </summary>
public sealed class LocalPipeline : IAsyncDisposable
{
    static readonly TimeSpan StreamsStartTimeout = TimeSpan.FromMinutes(2);

    readonly LocalRunOptions _options;
    readonly IConfiguration _configuration;
    readonly Dictionary<string, string> _settings;
    readonly ILoggerFactory _loggers;
    readonly Stack<Func<ValueTask>> _stops = new();
    readonly string _work;

    LocalPipeline(LocalRunOptions options, IConfiguration configuration, IReadOnlyDictionary<string, string> overrides, ILoggerFactory loggers)
    {
        _options = options;
        _loggers = loggers;
        _work = string.IsNullOrEmpty(options.WorkDirectory) ? Path.Combine(RepositoryLayout.Root, ".local") : Path.GetFullPath(options.WorkDirectory);
        BootstrapServers = $"127.0.0.1:{options.BrokerPort}";
        string? Configured(string key) => overrides.TryGetValue(key, out var value) ? value : configuration[key];

        // What the run owns: its embedded broker and its time compression.
        _settings = new Dictionary<string, string>(overrides, StringComparer.OrdinalIgnoreCase)
        {
            ["Kafka:BootstrapServers"] = BootstrapServers,
            ["Kafka:LocalBrokerControlPort"] = options.EffectiveBrokerControlPort.ToString(CultureInfo.InvariantCulture),
            ["Streams:TimeScale"] = options.TimeScale.ToString(CultureInfo.InvariantCulture),
        };
        // Demo defaults, each only where the configuration leaves the (documented) key unset.
        var defaults = new Dictionary<string, string>
        {
            ["Streams:StateDir"] = Path.Combine(_work, "streams-state"),
            ["Http:Port"] = DefaultStreamsHttpPort.ToString(CultureInfo.InvariantCulture),
            ["Explorer:Urls"] = DefaultExplorerUrl,
            ["Explorer:Token"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            ["Agent:SessionLength"] = options.Scaled(TimeSpan.FromMinutes(30)).ToString("c", CultureInfo.InvariantCulture),
            ["Profiles:StableSnapshotCount"] = options.StableSnapshotCount.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in defaults)
        {
            if (Configured(key) is null) _settings[key] = value;
        }

        ExplorerToken = Configured("Explorer:Token") ?? _settings["Explorer:Token"];
        ExplorerUrl = (Configured("Explorer:Urls") ?? DefaultExplorerUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        StreamsHttpPort = int.TryParse(Configured("Http:Port"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port : DefaultStreamsHttpPort;
        StateDirectory = Configured("Streams:StateDir") ?? _settings["Streams:StateDir"];

        _configuration = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(_settings!).Build();
        var clickHouse = _configuration.GetSection(ClickHouseOptions.SectionName).Get<ClickHouseOptions>() ?? new ClickHouseOptions();
        Database = new ClickHouseDatabase(clickHouse);
    }

    /// <summary>Bootstrap servers of the in-process broker (fixed loopback port).</summary>
    public string BootstrapServers { get; }

    const string DefaultExplorerUrl = "http://127.0.0.1:5080";
    const int DefaultStreamsHttpPort = 9464;

    /// <summary>The explorer's address: the first of <c>Explorer:Urls</c>.</summary>
    public string ExplorerUrl { get; }

    /// <summary><c>Http:Port</c>: the stream jobs' /healthz and /metrics.</summary>
    public int StreamsHttpPort { get; }

    /// <summary><c>Streams:StateDir</c>, wiped at start (the broker is new).</summary>
    public string StateDirectory { get; }

    /// <summary>The in-process sink's /healthz and /metrics (<c>Sink:MetricsPort</c>); null when turned off.</summary>
    public string? SinkMetricsUrl { get; private set; }

    /// <summary>The explorer's bearer token for this run.</summary>
    public string ExplorerToken { get; }

    /// <summary>The warehouse the sink writes to.</summary>
    public ClickHouseDatabase Database { get; }

    /// <summary>How the agent is fed: <see cref="AgentSource.Live"/> or <see cref="AgentSource.Replay"/>, with the reason for replay.</summary>
    public string AgentDescription { get; private set; } = "";

    /// <summary>The live demo workload, when the agent captures live; null for a replay.</summary>
    public DemoWorkload? Workload { get; private set; }

    /// <summary>Ids of the live demo containers.</summary>
    public IReadOnlyList<string> ContainerIds { get; private set; } = [];

    /// <summary>Where the in-process and child-process logs are.</summary>
    public string LogDirectory => Path.Combine(_work, "logs");

    /// <summary>The image the agent profiles (live) or the recording holds (demo replay).</summary>
    public string DemoImage => $"{DemoRecording.ImageName}:{_options.DemoImageTag}";

    /// <summary>Completes when a child process (stream jobs, live agent) exited on its own: the run is broken.</summary>
    public Task<string> Failure => _failure.Task;

    readonly TaskCompletionSource<string> _failure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts every part, calling <paramref name="report"/> once each is up. On failure, stops what started and throws.</summary>
    public static async Task<LocalPipeline> StartAsync(LocalRunOptions options, IConfiguration configuration,
        IReadOnlyDictionary<string, string> overrides, ILoggerFactory loggers, Action<string> report, CancellationToken cancellationToken)
    {
        options.Validate();
        var pipeline = new LocalPipeline(options, configuration, overrides, loggers);
        try
        {
            await pipeline.StartCoreAsync(report, cancellationToken);
            return pipeline;
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }
    }

    async Task StartCoreAsync(Action<string> report, CancellationToken cancellationToken)
    {
        _stops.Push(() => { Database.Dispose(); return ValueTask.CompletedTask; });
        StartBroker(report);

        var clickHouse = new LocalClickHouse();
        _stops.Push(clickHouse.DisposeAsync);
        if (_options.StartClickHouse) report(await clickHouse.StartAsync(report, cancellationToken));
        await MigrateAsync(report, cancellationToken);

        await StartStreamsAsync(report, cancellationToken);
        await StartSinkAsync(report, cancellationToken);
        await StartExplorerAsync(report, cancellationToken);
        await StartAgentAsync(report, cancellationToken);
    }

    void StartBroker(Action<string> report)
    {
        var logger = _loggers.CreateLogger("WorkloadProfiles.Local.Broker");
        try
        {
            var broker = LocalKafkaBroker.Start(new LocalKafkaBrokerOptions { Port = _options.BrokerPort }, logger);
            _stops.Push(() => { broker.Dispose(); return ValueTask.CompletedTask; });
            var control = BrokerControlServer.Start(_options.EffectiveBrokerControlPort, broker, logger);
            _stops.Push(() => { control.Dispose(); return ValueTask.CompletedTask; });
        }
        catch (InvalidOperationException e) when (e.Message.Contains("Cannot listen", StringComparison.Ordinal))
        {
            throw new PrerequisiteException($"{e.Message} Choose other ports with Local:BrokerPort and Local:BrokerControlPort.", e);
        }


        // The broker is new, so its topics are empty: stream state from an earlier run would count old data twice.
        if (Directory.Exists(StateDirectory)) Directory.Delete(StateDirectory, recursive: true);
        report($"Kafka-protocol broker on {BootstrapServers} (in-process librdkafka mock cluster: in memory only, about 5 MiB per partition; stream state wiped)");
    }

    async Task MigrateAsync(Action<string> report, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(_options.StartClickHouse ? 30 : 10);
        if (await Database.ProbeAsync(timeout, cancellationToken) is { } unreachable)
        {
            throw new PrerequisiteException(ClickHouseOptions.Unreachable(Database.Endpoint, timeout, unreachable) +
                                            (_options.StartClickHouse ? "" : "; or let wp-local start it (Local:StartClickHouse true)"));
        }

        if (_options.ResetWarehouse) await Database.DropIfExistsAsync(cancellationToken);
        var migration = await new Migrator(Database, logger: _loggers.CreateLogger<Migrator>()).MigrateAsync(cancellationToken);
        report($"ClickHouse database '{Database.Name}' (server {migration.ServerVersion}): {migration.Applied.Count} migrations applied" +
               (migration.SkippedForServerVersion.Count > 0 ? $", {migration.SkippedForServerVersion.Count} production-only skipped for this server version" : "") +
               (_options.ResetWarehouse ? " (reset: the broker is new)" : ""));
    }

    async Task StartStreamsAsync(Action<string> report, CancellationToken cancellationToken)
    {
        var streams = StartChild("stream jobs", "streams/WorkloadProfiles.Streams.Host", "wp-streams.dll", []);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var health = new Uri($"http://127.0.0.1:{StreamsHttpPort}/healthz");
        var deadline = DateTime.UtcNow + StreamsStartTimeout;
        while (true)
        {
            if (streams.HasExited) throw new InvalidOperationException($"wp-streams exited with {streams.ExitCode}:\n{streams.Tail()}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"wp-streams was not healthy within {StreamsStartTimeout.TotalSeconds:0} s:\n{streams.Tail()}");
            try
            {
                using var response = await http.GetAsync(health, cancellationToken);
                if (response.IsSuccessStatusCode) break;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Slow answer while starting.
            }

            await Task.Delay(200, cancellationToken);
        }

        report($"stream jobs running (wp-streams: snapshots, profiles, detection, enrichment; windows {_options.Scaled(TimeSpan.FromMinutes(30)).TotalSeconds:0.#} s at time scale {_options.TimeScale}; log {streams.LogPath})");
    }

    async Task StartSinkAsync(Action<string> report, CancellationToken cancellationToken)
    {
        var sinkOptions = _configuration.GetSection(SinkOptions.SectionName).Get<SinkOptions>() ?? new SinkOptions();
        sinkOptions.Migrate = false; // done above, once
        var kafka = KafkaOptions.From(_configuration);
        var codecs = new AvroCodecs(_configuration.GetSection(AvroCodecOptions.SectionName).Get<AvroCodecOptions>());
        var sink = new ClickHouseSink(kafka, Database, sinkOptions, codecs, _loggers);
        var stop = new CancellationTokenSource();
        var running = sink.RunAsync(stop.Token);
        _stops.Push(async () =>
        {
            await stop.CancelAsync();
            try { await running; } catch (OperationCanceledException) { }
            sink.Dispose();
            codecs.Dispose();
            stop.Dispose();
        });
        var endpoint = await SinkPrometheus.StartAsync(sink, sinkOptions, cancellationToken);
        if (endpoint is not null)
        {
            _stops.Push(endpoint.DisposeAsync);
            SinkMetricsUrl = endpoint.Url;
        }

        report($"ClickHouse sink consuming {string.Join(", ", sink.Topics)}" + (endpoint is null ? "" : $" (metrics {endpoint.Url}/metrics)"));
    }

    async Task StartExplorerAsync(Action<string> report, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>(_settings!)
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Explorer:MigrateOnStart"] = "false",
        };
        var app = ExplorerApp.Create([], builder => builder.AddInMemoryCollection(settings));
        await app.StartAsync(cancellationToken);
        _stops.Push(async () =>
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        });
        report($"explorer on {ExplorerUrl}");
    }

    async Task StartAgentAsync(Action<string> report, CancellationToken cancellationToken)
    {
        var unavailable = _options.Agent == AgentSource.Replay ? "replay requested" : DemoWorkload.Unavailable();
        if (unavailable is null)
        {
            await StartLiveAgentAsync(report, cancellationToken);
            return;
        }

        if (_options.Agent == AgentSource.Live) throw new PrerequisiteException($"live capture is not possible here: {unavailable} (use --replay)");
        var recording = FindRecording(report);
        var agent = StartChild("agent (replay)", Agent, "wp-agent.dll", ["replay", recording, "--speed", "1", "--shift-to-now"], watch: false);
        AgentDescription = $"replay of {Path.GetRelativePath(RepositoryLayout.Root, recording)} ({unavailable})";
        report($"agent replaying {Path.GetRelativePath(RepositoryLayout.Root, recording)} in real time, shifted to now ({unavailable}; log {agent.LogPath})");
    }

    string FindRecording(Action<string> report)
    {
        if (!string.IsNullOrEmpty(_options.Recording))
        {
            var configured = Path.GetFullPath(_options.Recording, RepositoryLayout.Root);
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"Local:Recording {configured} does not exist.", configured);
        }

        var bundled = Path.Combine(RepositoryLayout.Root, "agent", "recordings", "demo.avro");
        if (File.Exists(bundled)) return bundled;

        // No bundled recording: generate the demo workload's, sized to this run's windows.
        var window = _options.Scaled(TimeSpan.FromMinutes(30));
        var path = Path.Combine(_work, "recordings", $"demo-{window.TotalSeconds:0.###}s-x{_options.DemoWindows}.avro");
        var batches = DemoRecording.Write(path, window, _options.DemoWindows);
        report($"generated the demo recording ({batches} batches, {_options.DemoWindows} windows of {window.TotalSeconds:0.#} s, image {DemoRecording.ImageName}:{DemoRecording.ImageTag} and :{DemoRecording.PreviousImageTag})");
        return path;
    }

    async Task StartLiveAgentAsync(Action<string> report, CancellationToken cancellationToken)
    {
        var workload = await DemoWorkload.StartAsync("wp-local", cancellationToken);
        _stops.Push(workload.DisposeAsync);
        Workload = workload;
        await workload.ImportImageAsync(DemoRecording.ImageName, _options.DemoImageTag, cancellationToken);
        var ids = new List<string>();
        for (var i = 0; i < _options.DemoContainers; i++)
        {
            ids.Add(await workload.StartContainerAsync(DemoRecording.ImageName, _options.DemoImageTag, DemoWorkload.Script, cancellationToken));
        }

        ContainerIds = ids;
        var tags = System.Text.RegularExpressions.Regex.Escape(_options.DemoImageTag);
        if (_options.DemoPreviousImageTag.Length > 0)
        {
            await workload.ImportImageAsync(DemoRecording.ImageName, _options.DemoPreviousImageTag, cancellationToken);
            await workload.StartContainerAsync(DemoRecording.ImageName, _options.DemoPreviousImageTag, DemoWorkload.PreviousScript, cancellationToken);
            tags = $"({tags}|{System.Text.RegularExpressions.Regex.Escape(_options.DemoPreviousImageTag)})";
        }

        _settings["Agent:ContainerRuntimeEndpoint"] = workload.Endpoint;
        _settings["Agent:ImageFilter"] = $"^{System.Text.RegularExpressions.Regex.Escape(DemoRecording.ImageName)}@{tags}$";
        await AwaitFreshWindowAsync(report, cancellationToken);
        var agent = StartChild("agent (live eBPF)", Agent, "wp-agent.dll", ["run"]);
        var previous = _options.DemoPreviousImageTag.Length > 0 ? $" and one of :{_options.DemoPreviousImageTag}" : "";
        AgentDescription = $"live eBPF capture of {ids.Count} podman containers of {DemoImage}{previous}";
        report($"agent capturing {ids.Count} podman containers of {DemoImage}{previous} live with eBPF (log {agent.LogPath})");
    }

    const string Agent = "agent/WorkloadProfiles.Agent";

    // Node commonality counts snapshots (DESIGN.md): a container first seen in the last second of a window forms a
    // snapshot of only its entry shell and the loop's sleep, and with the demo's few windows that keeps the loop's own
    // nodes below the suggestion threshold. With a demo's short windows (aligned to the epoch by the snapshot job),
    // the agent starts early in one so every container's first snapshot holds whole loop iterations.
    async Task AwaitFreshWindowAsync(Action<string> report, CancellationToken cancellationToken)
    {
        var window = _options.Scaled(TimeSpan.FromMinutes(30));
        if (window > TimeSpan.FromMinutes(2)) return;
        var intoWindow = TimeSpan.FromTicks(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * TimeSpan.TicksPerMillisecond % window.Ticks);
        if (intoWindow < window * 0.3) return;
        var wait = window - intoWindow + TimeSpan.FromMilliseconds(200);
        report($"waiting {wait.TotalSeconds:0.#} s for the next {window.TotalSeconds:0.#} s window before the agent starts (a whole first snapshot per container)");
        await Task.Delay(wait, cancellationToken);
    }

    ChildProcess StartChild(string name, string project, string assembly, string[] arguments, bool watch = true)
    {
        var environment = _settings.ToDictionary(s => "WP_" + s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);
        var fileName = assembly.Replace(".dll", "", StringComparison.Ordinal);
        var child = ChildProcess.Start(name, project, assembly, arguments, environment, Path.Combine(LogDirectory, fileName + ".log"));
        _stops.Push(child.DisposeAsync);
        if (watch)
        {
            _ = child.WaitForExitAsync(CancellationToken.None).ContinueWith(
                _ => _failure.TrySetResult($"{name} exited with {child.ExitCode}:\n{child.Tail()}"), TaskScheduler.Default);
        }

        return child;
    }

    public async ValueTask DisposeAsync()
    {
        // A child exiting because we stop it is not a failure.
        _failure.TrySetResult("stopped");
        List<Exception>? errors = null;
        while (_stops.TryPop(out var stop))
        {
            try
            {
                await stop();
            }
            catch (Exception e)
            {
                (errors ??= []).Add(e);
            }
        }

        if (errors is not null) throw new AggregateException("Some parts of the local pipeline did not stop cleanly.", errors);
    }
}
