using WorkloadProfiles.Hosting;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.CommandLine.Tests;

/// <summary>
/// Every executable on System.CommandLine: <c>--help</c> and <c>--version</c> exit 0 without starting anything, and
/// usage, configuration and prerequisite errors exit 2 or 3 with one line naming the problem — never a stack trace or
/// a .NET type name (README "Exit codes").
/// </summary>
public sealed class CommandLineTests
{
    public static TheoryData<string> Names() => new(Executable.All.Select(e => e.Name));

    /// <summary>Every address a started command would connect to or bind points at <paramref name="tripwire"/>.</summary>
    static Dictionary<string, string> Everything(Tripwire tripwire) => new()
    {
        ["WP_Kafka__BootstrapServers"] = $"127.0.0.1:{tripwire.Port}",
        ["WP_ClickHouse__ConnectionString"] = $"Host=127.0.0.1;Port={tripwire.Port};Protocol=http;Database=wp_cli;JsonReadMode=None;JsonWriteMode=None",
        ["WP_Broker__Port"] = tripwire.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["WP_Local__BrokerPort"] = tripwire.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["WP_Local__StartClickHouse"] = "false",
        ["WP_Agent__FollowProfiles"] = "false",
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Help_exits_0_without_starting_anything(string name)
    {
        using var tripwire = new Tripwire();
        var result = await Executable.Named(name).RunAsync(["--help"], Everything(tripwire));

        Assert.True(result.ExitCode == ExitCodes.Ok, $"exit {result.ExitCode}: {result.Output}{result.Error}");
        Assert.Contains("Usage:", result.Output, StringComparison.Ordinal);
        Assert.Contains("--config", result.Output, StringComparison.Ordinal);
        Assert.Contains("--version", result.Output, StringComparison.Ordinal);
        // Started, it would have connected to Kafka or ClickHouse — or bound the broker port, and failed.
        Assert.False(tripwire.Touched, $"{name} --help connected to a configured address");
        Assert.DoesNotContain("ready", result.Output, StringComparison.Ordinal);
        Assert.Equal("", result.Error);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Version_exits_0_and_prints_the_version(string name)
    {
        var result = await Executable.Named(name).RunAsync(["--version"]);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", result.Output.Trim());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task An_unknown_option_exits_2_with_one_line(string name)
    {
        var result = await Executable.Named(name).RunAsync(["--no-such-option"]);

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        AssertOneClearLine(result, name, "--no-such-option");
    }

    [Theory]
    [InlineData("wp-streams", new[] { "--Streams:Threads", "abc" }, "Streams:Threads: 'abc' is not a whole number")]
    [InlineData("wp-sink", new[] { "--Sink:MaxBatchRecords", "many" }, "Sink:MaxBatchRecords: 'many' is not a whole number")]
    [InlineData("wp-explorer", new[] { "--Explorer:PublishTimeoutMs", "soon" }, "Explorer:PublishTimeoutMs: 'soon' is not a whole number")]
    [InlineData("wp-local", new[] { "--time-scale", "abc" }, "--time-scale: 'abc' is not a number")]
    [InlineData("wp-agent", new[] { "replay", "x.avro", "--speed", "fast" }, "--speed: 'fast' is not a number")]
    [InlineData("WorkloadProfiles.LocalBroker", new[] { "--port", "ninety" }, "--port: 'ninety' is not a whole number")]
    [InlineData("wp-streams", new[] { "--Streams:Compression", "brotli" }, "Streams:Compression must be none, gzip, snappy, lz4 or zstd, not 'brotli'")]
    [InlineData("wp-streams", new[] { "--Enrichment:JsonFormat", "xml" }, "Enrichment:JsonFormat must be ecs, ocsf or falco")]
    [InlineData("wp-streams", new[] { "--Enrichment:JsonTopic", "wp.signals" }, "Enrichment:JsonTopic 'wp.signals' is a pipeline topic")]
    [InlineData("wp-local", new[] { "--live", "--replay" }, "--live and --replay exclude each other")]
    [InlineData("WorkloadProfiles.LocalBroker", new[] { "--port", "70000" }, "Broker:Port must be a port number")]
    public async Task A_bad_value_exits_2_naming_the_key_and_the_value(string name, string[] arguments, string message)
    {
        var result = await Executable.Named(name).RunAsync(arguments);

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        AssertOneClearLine(result, name, message);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_named_configuration_file_that_does_not_exist_exits_2(string name)
    {
        var executable = Executable.Named(name);
        var result = await executable.RunAsync(executable == Executable.Agent ? ["run", "--config", "/nonexistent/wp.json"] : ["--config", "/nonexistent/wp.json"]);

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        AssertOneClearLine(result, name, "/nonexistent/wp.json does not exist");
    }

    [Fact]
    public async Task A_rules_file_with_errors_exits_2_listing_them()
    {
        var rules = Path.Combine(Directory.CreateTempSubdirectory("wp-cli-rules-").FullName, "bad.yaml");
        await File.WriteAllTextAsync(rules, "rules:\n  - id: wp.half-written\n    name: Half written\n");

        var result = await Executable.Streams.RunAsync(["--Detection:RulesPath", rules]);

        Assert.Equal(ExitCodes.Configuration, result.ExitCode);
        Assert.StartsWith("wp-streams: detection rules:", result.Error, StringComparison.Ordinal);
        Assert.Contains("bad.yaml:2: rule 'wp.half-written': 'condition' is required", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_without_a_reachable_broker_exits_3_with_one_line_not_hundreds()
    {
        var port = ClosedPort.Get();
        var result = await Executable.Streams.RunAsync(["--Kafka:BootstrapServers", $"127.0.0.1:{port}", "--Kafka:StartupTimeoutSeconds", "2",
            "--Http:Port", ClosedPort.Get().ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.Equal(ExitCodes.Prerequisite, result.ExitCode);
        AssertOneClearLine(result, "wp-streams", $"cannot reach Kafka at 127.0.0.1:{port} within 2 s");
        Assert.Contains("Connection refused", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sink_without_a_reachable_broker_exits_3()
    {
        var port = ClosedPort.Get();
        var result = await Executable.Sink.RunAsync(["run", "--Kafka:BootstrapServers", $"127.0.0.1:{port}", "--Kafka:StartupTimeoutSeconds", "1"]);

        Assert.Equal(ExitCodes.Prerequisite, result.ExitCode);
        AssertOneClearLine(result, "wp-sink", $"cannot reach Kafka at 127.0.0.1:{port}");
    }

    [Fact]
    public async Task Sink_without_a_reachable_clickhouse_exits_3()
    {
        await using var broker = await LocalBrokerProcess.StartAsync(TimeSpan.FromSeconds(30));
        var port = ClosedPort.Get();
        var result = await Executable.Sink.RunAsync(["--Kafka:BootstrapServers", broker.BootstrapServers,
            "--ClickHouse:ConnectionString", $"Host=127.0.0.1;Port={port};Protocol=http;Database=wp_cli", "--ClickHouse:StartupTimeoutSeconds", "1"]);

        Assert.Equal(ExitCodes.Prerequisite, result.ExitCode);
        AssertOneClearLine(result, "wp-sink", $"cannot reach ClickHouse at http://127.0.0.1:{port} within 1 s");
    }

    [Fact]
    public async Task Explorer_without_a_reachable_clickhouse_exits_3()
    {
        var port = ClosedPort.Get();
        var result = await Executable.Explorer.RunAsync(["--ClickHouse:ConnectionString", $"Host=127.0.0.1;Port={port};Protocol=http;Database=wp_cli",
            "--ClickHouse:StartupTimeoutSeconds", "1", "--Explorer:Urls", $"http://127.0.0.1:{ClosedPort.Get()}"]);

        Assert.Equal(ExitCodes.Prerequisite, result.ExitCode);
        AssertOneClearLine(result, "wp-explorer", $"cannot reach ClickHouse at http://127.0.0.1:{port}");
    }

    [Fact]
    public async Task Local_without_clickhouse_exits_3_saying_how_to_start_it()
    {
        var port = ClosedPort.Get();
        var result = await Executable.Local.RunAsync(["--once"], new Dictionary<string, string>
        {
            ["WP_Local__StartClickHouse"] = "false",
            ["WP_Local__BrokerPort"] = LocalBrokerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["WP_Local__BrokerControlPort"] = LocalBrokerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["WP_Local__WorkDirectory"] = Directory.CreateTempSubdirectory("wp-cli-local-").FullName,
            ["WP_ClickHouse__ConnectionString"] = $"Host=127.0.0.1;Port={port};Protocol=http;Database=wp_cli",
        });

        Assert.Equal(ExitCodes.Prerequisite, result.ExitCode);
        AssertOneClearLine(result, "wp-local", $"cannot reach ClickHouse at http://127.0.0.1:{port}");
        Assert.Contains("local/clickhouse/clickhouse.sh start", result.Error, StringComparison.Ordinal);
        Assert.Contains("Local:StartClickHouse", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broker_on_a_port_in_use_exits_3()
    {
        using var occupant = new Tripwire();
        var result = await Executable.Broker.RunAsync(["--port", occupant.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.Equal(ExitCodes.Prerequisite, result.ExitCode);
        AssertOneClearLine(result, "WorkloadProfiles.LocalBroker", "already in use");
    }

    [Fact]
    public async Task Agent_without_kernel_btf_exits_3()
    {
        var result = await Executable.Agent.RunAsync(["run"], new Dictionary<string, string>
        {
            ["WP_Agent__BtfPath"] = "/nonexistent/vmlinux",
            ["WP_Agent__FollowProfiles"] = "false",
            ["WP_Kafka__BootstrapServers"] = $"127.0.0.1:{ClosedPort.Get()}",
        });

        Assert.Equal(ExitCodes.Prerequisite, result.ExitCode);
        Assert.Contains("/nonexistent/vmlinux", result.Output + result.Error, StringComparison.Ordinal);
    }

    /// <summary>One line on stderr that starts with the command's name and says <paramref name="what"/>; no stack trace, no .NET type.</summary>
    static void AssertOneClearLine(CommandResult result, string name, string what)
    {
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("Run '", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.StartsWith($"{name}: ", line, StringComparison.Ordinal);
        Assert.Contains(what, line, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }
}
