using WorkloadProfiles.Domain.Normalization;

namespace WorkloadProfiles.Domain.Tests;

public class PathNormalizerTests
{
    [Theory]
    [InlineData("/proc/1234/status", "/proc/*/status")]
    [InlineData("/proc/1/cmdline", "/proc/*/cmdline")]
    [InlineData("/proc/1234/task/1240/stat", "/proc/*/task/*/stat")]
    [InlineData("/proc/self/fd/12", "/proc/self/fd/*")]
    [InlineData("/proc/thread-self/attr/current", "/proc/thread-self/attr/current")]
    [InlineData("/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/ip_forward")]
    [InlineData("/var/lib/docker/containers/3f4e5d6c7b8a99001122334455667788aabbccddeeff00112233445566778899/hostname",
        "/var/lib/docker/containers/*/hostname")]
    [InlineData("/sys/fs/cgroup/system.slice/docker-3f4e5d6c7b8a99001122334455667788aabbccddeeff00112233445566778899.scope/memory.max",
        "/sys/fs/cgroup/system.slice/docker-*.scope/memory.max")]
    [InlineData("/tmp/session-123e4567-e89b-12d3-a456-426614174000.json", "/tmp/session-*.json")]
    [InlineData("/run/secrets/123E4567-E89B-12D3-A456-426614174000", "/run/secrets/*")]
    [InlineData("/cache/objects/deadbeef42/blob", "/cache/objects/*/blob")]
    [InlineData("/var/log/app-20240101.log", "/var/log/app-*.log")]
    [InlineData("/tmp/build12345678abc/out", "/tmp/build*abc/out")]
    [InlineData("/usr/lib/python3.11/os.py", "/usr/lib/python3.11/os.py")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib/x86_64-linux-gnu/libssl.so.3")]
    [InlineData("/etc/nginx/conf.d/default.conf", "/etc/nginx/conf.d/default.conf")]
    [InlineData("/var/cache/facade/file", "/var/cache/facade/file")] // all-hex word without a digit, shorter than 32: a word
    [InlineData("//etc///passwd", "/etc/passwd")]
    [InlineData("/etc/./hosts", "/etc/hosts")]
    [InlineData("/var/log/", "/var/log")]
    [InlineData("/a/../b", "/a/../b")]
    [InlineData("/", "/")]
    [InlineData("relative/1234/x", "relative/*/x")]
    [InlineData("/tmp/x1234y5678", "/tmp/x*y*")]
    public void Normalizes(string path, string expected) => Assert.Equal(expected, PathNormalizer.Normalize(path));

    [Fact]
    public void Escaped_non_utf8_bytes_are_ordinary_text()
    {
        // The agent escapes invalid UTF-8 as \xNN; the escapes survive and the numeric rules still apply around them.
        Assert.Equal(@"/tmp/\xff\xfe-name", PathNormalizer.Normalize(@"/tmp/\xff\xfe-name"));
        Assert.Equal(@"/tmp/\xc3-*.dat", PathNormalizer.Normalize(@"/tmp/\xc3-99999.dat"));
    }

    [Fact]
    public void Normal_path_is_returned_as_the_same_instance()
    {
        var path = "/etc/ssl/certs/ca-certificates.crt";
        Assert.Same(path, PathNormalizer.Normalize(path));
    }

    [Fact]
    public void Long_paths_normalize_past_the_stack_buffer()
    {
        var path = "/data/" + string.Join('/', Enumerable.Range(0, 200).Select(i => $"dir{i:D5}"));
        var normal = PathNormalizer.Normalize(path);
        Assert.StartsWith("/data/dir*/dir*/", normal, StringComparison.Ordinal);
        Assert.Equal(normal, PathNormalizer.Normalize(normal));
    }
}

public class SiblingCollapseTests
{
    [Fact]
    public void Collapses_a_shape_once_a_directory_has_more_than_the_threshold()
    {
        var collapse = new SiblingCollapse(threshold: 3);
        var logs = new[] { "/var/log/app/a.log", "/var/log/app/b.log", "/var/log/app/c.log", "/var/log/app/d.log" };
        var others = new[] { "/var/log/app/x.json", "/var/log/app/y.json", "/etc/hosts" };

        var patterns = collapse.Collapse(logs.Concat(others));

        Assert.Equal(logs.Order(StringComparer.Ordinal), patterns.Keys.Order(StringComparer.Ordinal));
        Assert.All(patterns.Values, p => Assert.Equal("/var/log/app/*.log", p));
    }

    [Fact]
    public void Threshold_is_exclusive()
    {
        var collapse = new SiblingCollapse(threshold: 3);
        Assert.Empty(collapse.Collapse(["/d/a.log", "/d/b.log", "/d/c.log"]));
    }

    [Fact]
    public void Result_does_not_depend_on_order()
    {
        var collapse = new SiblingCollapse(threshold: 2);
        string[] paths = ["/t/q1", "/t/q2", "/t/q3", "/t/.hidden", "/t/a.tmp", "/t/b.tmp", "/t/c.tmp"];
        var forward = collapse.Collapse(paths);
        var backward = collapse.Collapse(paths.Reverse());
        Assert.Equal(forward.OrderBy(p => p.Key, StringComparer.Ordinal), backward.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal("/t/*", forward["/t/q1"]);
        Assert.Equal("/t/*", forward["/t/.hidden"]); // a leading dot is not an extension
        Assert.Equal("/t/*.tmp", forward["/t/c.tmp"]);
    }

    [Theory]
    [InlineData("/var/log/app/error.log", "/var/log/app/*.log")]
    [InlineData("/x.conf", "/*.conf")]
    [InlineData("/etc/.bashrc", "/etc/*")]
    [InlineData("noslash.txt", "*.txt")]
    [InlineData("/var/cache/*.json", "/var/cache/*.json")]
    public void Pattern_for_a_path(string path, string pattern) => Assert.Equal(pattern, SiblingCollapse.PatternFor(path));
}
