using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Domain.Identity;
using WorkloadProfiles.Domain.Signals;

namespace WorkloadProfiles.Domain.Tests;

public class NodeIdentityTests
{
    [Fact]
    public void Id_is_xxhash64_of_parent_kind_and_utf8_key_with_the_fixed_seed()
    {
        var key = "/etc/nginx/nginx.conf";
        var bytes = new byte[9 + Encoding.UTF8.GetByteCount(key)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 0x1122334455667788);
        bytes[8] = (byte)NodeKind.File;
        Encoding.UTF8.GetBytes(key, bytes.AsSpan(9));

        var expected = XxHash64.HashToUInt64(bytes, 0x5750_4E6F_6465_4964);

        Assert.Equal(expected, NodeIdentity.Compute(0x1122334455667788, NodeKind.File, key));
    }

    [Fact]
    public void Id_is_stable_across_runs_and_machines()
    {
        // Golden values: stored profiles, suppressions and ClickHouse rows hold these ids. If this fails, every id changed.
        Assert.Equal("d2579a9d2205e076", NodeIdentity.Format(NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/usr/sbin/nginx")));
        Assert.Equal("22508c9507eeae1a", NodeIdentity.Format(NodeIdentity.Compute(42, NodeKind.Dns, "example.com")));
    }

    [Fact]
    public void Parent_kind_and_key_each_change_the_id()
    {
        var id = NodeIdentity.Compute(7, NodeKind.File, "/etc/hosts");
        Assert.NotEqual(id, NodeIdentity.Compute(8, NodeKind.File, "/etc/hosts"));
        Assert.NotEqual(id, NodeIdentity.Compute(7, NodeKind.Dns, "/etc/hosts"));
        Assert.NotEqual(id, NodeIdentity.Compute(7, NodeKind.File, "/etc/host"));
        Assert.NotEqual(NodeIdentity.Root, id);
    }

    [Fact]
    public void Long_keys_hash_without_stack_overflow_and_non_ascii_keys_hash_as_utf8()
    {
        var longKey = new string('a', 10_000);
        Assert.NotEqual(NodeIdentity.Compute(0, NodeKind.File, longKey), NodeIdentity.Compute(0, NodeKind.File, longKey + "b"));
        Assert.NotEqual(NodeIdentity.Compute(0, NodeKind.Dns, "bücher.example"), NodeIdentity.Compute(0, NodeKind.Dns, "bucher.example"));
    }

    [Theory]
    [InlineData("/bin/sh", new[] { "sh" }, "/bin/sh")]
    [InlineData("/bin/sh", new[] { "sh", "-c", "curl http://x | sh" }, "/bin/sh -c *")]
    [InlineData("/bin/sh", new[] { "sh", "-ec", "echo hi" }, "/bin/sh -c *")]
    [InlineData("/bin/bash", new[] { "bash", "-o", "pipefail", "-c", "true" }, "/bin/bash -c *")]
    [InlineData("/bin/bash", new[] { "bash", "--login", "-c", "true" }, "/bin/bash -c *")]
    [InlineData("/bin/sh", new[] { "sh", "-i" }, "/bin/sh -i")]
    [InlineData("/bin/sh", new[] { "sh", "/docker-entrypoint.sh", "nginx" }, "/bin/sh /docker-entrypoint.sh")]
    [InlineData("/bin/sh", new[] { "sh", "-x", "/tmp/job-20240101.sh" }, "/bin/sh /tmp/job-*.sh")]
    [InlineData("/usr/bin/python3.11", new[] { "python3", "-c", "import os" }, "/usr/bin/python3.11 -c *")]
    [InlineData("/usr/bin/python3", new[] { "python3", "-u", "-m", "http.server", "8080" }, "/usr/bin/python3 -m http.server")]
    [InlineData("/usr/bin/python3", new[] { "python3", "/app/main.py", "--port", "80" }, "/usr/bin/python3 /app/main.py")]
    [InlineData("/usr/bin/python3", new[] { "python3" }, "/usr/bin/python3")]
    [InlineData("/usr/bin/perl", new[] { "perl", "-ne", "print" }, "/usr/bin/perl -e *")]
    [InlineData("/usr/bin/ruby", new[] { "ruby", "-e", "puts 1" }, "/usr/bin/ruby -e *")]
    [InlineData("/usr/local/bin/node", new[] { "node", "--eval", "1" }, "/usr/local/bin/node -e *")]
    [InlineData("/usr/local/bin/node", new[] { "node", "server.js" }, "/usr/local/bin/node server.js")]
    [InlineData("/usr/bin/php8.2", new[] { "php", "-r", "echo 1;" }, "/usr/bin/php8.2 -r *")]
    [InlineData("/bin/busybox", new[] { "sh", "-c", "id" }, "/bin/busybox sh -c *")]
    [InlineData("/bin/busybox", new[] { "busybox", "sh", "-c", "id" }, "/bin/busybox sh -c *")]
    [InlineData("/bin/busybox", new[] { "wget", "-O-", "http://x" }, "/bin/busybox wget")]
    [InlineData("/bin/busybox", new[] { "busybox", "ls", "-l" }, "/bin/busybox ls")]
    [InlineData("/usr/sbin/nginx", new[] { "nginx", "-g", "daemon off;" }, "/usr/sbin/nginx")]
    [InlineData("/usr/bin/curl", new[] { "curl", "-c", "jar" }, "/usr/bin/curl")] // -c only means code for interpreters
    [InlineData("/proc/1234/exe", null, "/proc/*/exe")]
    public void Process_key(string path, string[]? args, string expected) => Assert.Equal(expected, NodeIdentity.ProcessKey(path, args));

    [Fact]
    public void Shell_with_inline_code_interactive_script_and_bare_are_four_nodes()
    {
        string[] keys =
        [
            NodeIdentity.ProcessKey("/bin/sh", ["sh"]),
            NodeIdentity.ProcessKey("/bin/sh", ["sh", "-c", "X"]),
            NodeIdentity.ProcessKey("/bin/sh", ["sh", "-i"]),
            NodeIdentity.ProcessKey("/bin/sh", ["sh", "script.sh"]),
        ];
        Assert.Equal(4, keys.Distinct().Count());
        Assert.Equal(keys[1], NodeIdentity.ProcessKey("/bin/sh", ["sh", "-c", "something else entirely"]));
    }

    [Theory]
    [InlineData("Example.COM.", "example.com")]
    [InlineData(" api.internal ", "api.internal")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("BÜCHER.example", "bÜcher.example")] // only ASCII is lower-cased: IDN is left as it came
    [InlineData("plain", "plain")]
    public void Dns_key(string name, string expected) => Assert.Equal(expected, NodeIdentity.DnsKey(name));

    [Theory]
    [InlineData(NetworkTransport.Tcp, 443, "93.184.216.34", "tcp/443/public")]
    [InlineData(NetworkTransport.Tcp, 5432, "10.1.2.3", "tcp/5432/private")]
    [InlineData(NetworkTransport.Tcp, 5432, "172.16.0.1", "tcp/5432/private")]
    [InlineData(NetworkTransport.Tcp, 5432, "172.32.0.1", "tcp/5432/public")]
    [InlineData(NetworkTransport.Tcp, 80, "192.168.1.10", "tcp/80/private")]
    [InlineData(NetworkTransport.Tcp, 80, "100.64.0.1", "tcp/80/private")]
    [InlineData(NetworkTransport.Udp, 53, "127.0.0.11", "udp/53/loopback")]
    [InlineData(NetworkTransport.Udp, 5353, "224.0.0.251", "udp/5353/multicast")]
    [InlineData(NetworkTransport.Tcp, 80, "169.254.169.254", "tcp/80/link-local")]
    [InlineData(NetworkTransport.Tcp, 80, "0.0.0.0", "tcp/80/unspecified")]
    [InlineData(NetworkTransport.Tcp, 443, "2606:2800:220:1:248:1893:25c8:1946", "tcp/443/public")]
    [InlineData(NetworkTransport.Tcp, 443, "::1", "tcp/443/loopback")]
    [InlineData(NetworkTransport.Tcp, 443, "::", "tcp/443/unspecified")]
    [InlineData(NetworkTransport.Tcp, 443, "fe80::1", "tcp/443/link-local")]
    [InlineData(NetworkTransport.Tcp, 443, "fd00::1", "tcp/443/private")]
    [InlineData(NetworkTransport.Udp, 443, "ff02::1", "udp/443/multicast")]
    [InlineData(NetworkTransport.Tcp, 443, "::ffff:10.0.0.1", "tcp/443/private")]
    [InlineData(NetworkTransport.Unknown, 1, "not-an-address", "ip/1/unknown")]
    [InlineData(NetworkTransport.Tcp, 1, null, "tcp/1/unknown")]
    public void Network_key(NetworkTransport transport, int port, string? address, string expected) =>
        Assert.Equal(expected, NodeIdentity.NetworkKey(transport, port, address));

    [Fact]
    public void Truncation_is_deterministic_bounded_and_keeps_long_keys_apart()
    {
        var a = "/data/" + new string('x', 2_000) + "/a";
        var b = "/data/" + new string('x', 2_000) + "/b";
        var ta = NodeIdentity.TruncateKey(a, 256);
        Assert.Equal(256, ta.Length);
        Assert.Equal(ta, NodeIdentity.TruncateKey(a, 256));
        Assert.NotEqual(ta, NodeIdentity.TruncateKey(b, 256));
        Assert.Same(a, NodeIdentity.TruncateKey(a, 5_000));
    }

    [Fact]
    public void Behaviour_walks_the_ancestry_from_the_root()
    {
        var nginx = NodeIdentity.Compute(NodeIdentity.Root, NodeKind.Process, "/usr/sbin/nginx");
        var shell = NodeIdentity.Compute(nginx, NodeKind.Process, "/bin/sh -c *");
        var file = NodeIdentity.Compute(shell, NodeKind.File, "/tmp/*.sock");

        var behaviour = new Behaviour
        {
            Kind = NodeKind.File,
            Ancestry = [new ProcessRef("/usr/sbin/nginx", ["nginx", "-g", "daemon off;"]), new ProcessRef("/bin/sh", ["sh", "-c", "echo"])],
            FilePath = "/tmp/123e4567-e89b-12d3-a456-426614174000.sock",
            Access = FileAccessMode.Read,
        };

        Assert.Equal(file, NodeIdentity.ForBehaviour(behaviour));
        Assert.Equal(shell, NodeIdentity.ForBehaviour(behaviour with { Kind = NodeKind.Process }));
        Assert.Equal(NodeIdentity.Compute(shell, NodeKind.Network, "tcp/443/public"),
            NodeIdentity.ForBehaviour(behaviour with { Kind = NodeKind.Network, Transport = NetworkTransport.Tcp, DestinationPort = 443, DestinationAddress = "1.1.1.1" }));
        Assert.Equal(NodeIdentity.Compute(shell, NodeKind.Dns, "example.com"),
            NodeIdentity.ForBehaviour(behaviour with { Kind = NodeKind.Dns, DnsQuestionName = "EXAMPLE.com." }));
    }

    [Theory]
    [InlineData("/usr/bin/bash", new[] { "bash", "-c", "x" }, "bash")]
    [InlineData("/bin/busybox", new[] { "sh", "-c", "x" }, "sh")]
    [InlineData("/bin/busybox", new[] { "/bin/wget", "http://h/" }, "wget")]
    [InlineData("/bin/busybox", new[] { "busybox", "nc", "h", "1" }, "nc")]
    [InlineData("/bin/busybox", new[] { "busybox" }, "busybox")]
    [InlineData("/bin/busybox", new string[0], "busybox")]
    [InlineData("nginx", new[] { "nginx" }, "nginx")]
    public void Program_name_is_the_file_name_or_the_busybox_applet(string path, string[] args, string expected) =>
        Assert.Equal(expected, NodeIdentity.ProgramName(path, args));
}
