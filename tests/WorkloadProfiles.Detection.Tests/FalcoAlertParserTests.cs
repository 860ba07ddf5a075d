using System.Text;
using WorkloadProfiles.Detection.Falco;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Detection.Tests;

public sealed class FalcoAlertParserTests
{
    // As falcosidekick publishes Falco's JSON output to Kafka.
    private const string TerminalShell = """
        {"hostname":"node-1","output":"12:00:00.123456789: Notice A shell was spawned in a container with an attached terminal (user=root container_id=3f2a9c1d7b6e image=nginx shell=bash parent=runc cmdline=bash -i)",
         "priority":"Notice","rule":"Terminal shell in container","source":"syscall","time":"2024-05-01T12:00:00.123456789Z",
         "output_fields":{"container.id":"3f2a9c1d7b6e","container.full_id":"3f2a9c1d7b6e4f5a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b",
           "container.image.repository":"nginx","container.image.tag":"1.27","evt.time":1714564800123456789,"evt.type":"execve",
           "proc.exepath":"/bin/bash","proc.cmdline":"bash -i","proc.pname":"runc","proc.pid":4242,"user.name":"root",
           "proc.tty":34816},
         "tags":["container","shell","mitre_execution","T1059"]}
        """;

    private const string SensitiveRead = """
        {"output":"Sensitive file opened for reading","priority":"Warning","rule":"Read sensitive file untrusted",
         "time":"2024-05-01T12:00:01.5Z",
         "output_fields":{"container.id":"abc123","container.image.repository":"registry.local/app","container.image.tag":"2.0",
           "evt.type":"openat","fd.name":"/etc/shadow","evt.is_open_write":false,"proc.exepath":"/usr/bin/cat",
           "proc.cmdline":"cat /etc/shadow","proc.pexepath":"/bin/sh","proc.pcmdline":"sh -c cat /etc/shadow",
           "proc.aname[2]":"node"}}
        """;

    private const string OutboundConnect = """
        {"output":"Outbound connection","priority":"Critical","rule":"Outbound Connection to C2 Servers",
         "time":"2024-05-01T12:00:02Z",
         "output_fields":{"container.id":"abc123","container.image.repository":"app","container.image.tag":"2.0",
           "evt.type":"connect","fd.name":"10.0.0.2:51234->203.0.113.7:3333","fd.l4proto":"tcp","proc.exepath":"/tmp/xmrig",
           "proc.cmdline":"xmrig -o pool"}}
        """;

    private static SecuritySignal Parse(string json) => FalcoAlertParser.Parse(Encoding.UTF8.GetBytes(json));

    private static FalcoParseError Fail(string json)
    {
        Assert.False(FalcoAlertParser.TryParse(Encoding.UTF8.GetBytes(json), out var signal, out var error));
        Assert.Null(signal);
        return error!;
    }

    [Fact]
    public void Exec_alert_becomes_a_process_signal()
    {
        var s = Parse(TerminalShell);

        Assert.Equal("falco", s.Source);
        Assert.Equal("falco.terminal-shell-in-container", s.RuleId);
        Assert.Equal("Terminal shell in container", s.RuleName);
        Assert.Equal(Severity.Low, s.Severity);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000 + 123_456, s.TimestampUs);
        // The full id wins over Falco's 12-character short id, so it matches the agent's container id.
        Assert.Equal(new ContainerRef("3f2a9c1d7b6e4f5a8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b", "nginx", "1.27"), s.Container);
        Assert.Equal("node-1", s.HostName);
        Assert.StartsWith("12:00:00.123456789: Notice A shell", s.Message);
        Assert.Equal(["container", "shell", "mitre_execution", "T1059"], s.Tags);
        Assert.Equal(NodeKind.Process, s.Behaviour.Kind);
        Assert.Equal(["runc", "/bin/bash"], s.Behaviour.Ancestry.Select(p => p.ExecutablePath));
        Assert.Equal(["bash", "-i"], s.Behaviour.Ancestry[^1].Args);
        Assert.Matches("^[0-9a-f]{32}$", s.SignalId);
    }

    [Fact]
    public void Open_alert_becomes_a_file_signal_with_ancestors()
    {
        var s = Parse(SensitiveRead);

        Assert.Equal(Severity.Medium, s.Severity);
        Assert.Equal(new ContainerRef("abc123", "registry.local/app", "2.0"), s.Container);
        Assert.Equal(NodeKind.File, s.Behaviour.Kind);
        Assert.Equal("/etc/shadow", s.Behaviour.FilePath);
        Assert.Equal(FileAccessMode.Read, s.Behaviour.Access);
        Assert.Equal(["node", "/bin/sh", "/usr/bin/cat"], s.Behaviour.Ancestry.Select(p => p.ExecutablePath));
        Assert.Equal(["sh", "-c", "cat", "/etc/shadow"], s.Behaviour.Ancestry[1].Args);
        Assert.Equal("", s.HostName);
        Assert.Empty(s.Tags);
    }

    [Fact]
    public void Open_for_write_is_detected_from_flags()
    {
        var json = SensitiveRead.Replace("\"evt.is_open_write\":false,", "\"evt.arg.flags\":\"O_TRUNC|O_CREAT|O_WRONLY\",");
        Assert.Equal(FileAccessMode.Write, Parse(json).Behaviour.Access);
    }

    [Fact]
    public void Connect_alert_becomes_a_network_signal()
    {
        var s = Parse(OutboundConnect);

        Assert.Equal(Severity.Critical, s.Severity);
        Assert.Equal(NodeKind.Network, s.Behaviour.Kind);
        Assert.Equal((NetworkTransport.Tcp, "203.0.113.7", 3333),
            (s.Behaviour.Transport, s.Behaviour.DestinationAddress, s.Behaviour.DestinationPort));
        Assert.Equal("tcp/3333/public", NodeIdentity.LeafKeyOf(s.Behaviour));
    }

    [Fact]
    public void Signal_id_is_deterministic_per_alert()
    {
        Assert.Equal(Parse(TerminalShell).SignalId, Parse(TerminalShell).SignalId);
        Assert.NotEqual(Parse(TerminalShell).SignalId, Parse(TerminalShell.Replace("12:00:00.123456789Z", "12:00:00.223456789Z")).SignalId);
    }

    [Theory]
    [InlineData("Emergency", Severity.Critical)]
    [InlineData("Alert", Severity.Critical)]
    [InlineData("Critical", Severity.Critical)]
    [InlineData("Error", Severity.High)]
    [InlineData("Warning", Severity.Medium)]
    [InlineData("Notice", Severity.Low)]
    [InlineData("Informational", Severity.Info)]
    [InlineData("debug", Severity.Info)]
    [InlineData("something-new", Severity.Medium)]
    public void Priority_maps_to_severity(string priority, Severity expected) =>
        Assert.Equal(expected, Parse(TerminalShell.Replace("\"priority\":\"Notice\"", $"\"priority\":\"{priority}\"")).Severity);

    [Theory]
    [InlineData("{not json", FalcoParseError.MalformedJson)]
    [InlineData("", FalcoParseError.MalformedJson)]
    [InlineData("[1,2]", FalcoParseError.MalformedJson)]
    [InlineData("{\"time\":\"2024-05-01T12:00:00Z\",\"output_fields\":{\"container.id\":\"abc\"}}", FalcoParseError.MissingField)]
    [InlineData("{\"rule\":\"R\",\"output_fields\":{\"container.id\":\"abc\"}}", FalcoParseError.MissingField)]
    [InlineData("{\"rule\":\"R\",\"time\":\"yesterday\",\"output_fields\":{\"container.id\":\"abc\"}}", FalcoParseError.InvalidTime)]
    [InlineData("{\"rule\":\"R\",\"time\":\"2024-05-01T12:00:00Z\"}", FalcoParseError.MissingField)]
    [InlineData("{\"rule\":\"R\",\"time\":\"2024-05-01T12:00:00Z\",\"output_fields\":{\"proc.exe\":\"/bin/sh\"}}", FalcoParseError.NoContainer)]
    [InlineData("{\"rule\":\"R\",\"time\":\"2024-05-01T12:00:00Z\",\"output_fields\":{\"container.id\":\"host\"}}", FalcoParseError.NoContainer)]
    [InlineData("{\"rule\":\"R\",\"time\":\"2024-05-01T12:00:00Z\",\"output_fields\":{\"container.id\":null}}", FalcoParseError.NoContainer)]
    public void Bad_alerts_fail_with_a_reason(string json, string reason)
    {
        var error = Fail(json);
        Assert.Equal(reason, error.Reason);
        Assert.NotEmpty(error.Detail);
        Assert.Equal(reason, Assert.Throws<FalcoAlertException>(() => Parse(json)).Error.Reason);
    }

    [Fact]
    public void Unresolved_image_is_kept_as_null()
    {
        var json = """{"rule":"R","time":"2024-05-01T12:00:00Z","output_fields":{"container.id":"abc","container.image.repository":"<NA>","evt.type":"execve","proc.exe":"sh"}}""";
        var s = Parse(json);
        Assert.False(s.Container.HasImage);
        Assert.Null(s.Container.ImageName);
        Assert.Equal(["sh"], s.Behaviour.Ancestry.Select(p => p.ExecutablePath));
    }

    [Theory]
    [InlineData("Terminal shell in container", "falco.terminal-shell-in-container")]
    [InlineData("  Launch Privileged Container ", "falco.launch-privileged-container")]
    [InlineData("Read sensitive file (untrusted)", "falco.read-sensitive-file-untrusted")]
    public void Rule_id_is_a_stable_slug_of_the_rule_name(string name, string id) => Assert.Equal(id, FalcoAlertParser.RuleIdOf(name));
}
