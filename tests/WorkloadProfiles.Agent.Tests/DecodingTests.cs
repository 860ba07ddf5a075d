using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Agent.Sensor;

namespace WorkloadProfiles.Agent.Tests;

public sealed class DecodingTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1 << 8, 1)]
    [InlineData(127 << 8, 127)]
    [InlineData(9, 137)] // SIGKILL
    [InlineData(15, 143)] // SIGTERM
    public void Exit_codes_follow_the_shell_convention(int raw, int expected) =>
        Assert.Equal(expected, SensorRecordDecoder.DecodeExitCode(raw));

    [Theory]
    [InlineData("localhost/wp-test:1", "localhost/wp-test", "1")]
    [InlineData("registry:5000/team/app:2.3", "registry:5000/team/app", "2.3")]
    [InlineData("registry:5000/team/app", "registry:5000/team/app", "latest")]
    [InlineData("nginx", "nginx", "latest")]
    [InlineData("app@sha256:abcd", "app", "sha256:abcd")]
    public void Image_references_split_into_name_and_tag(string reference, string name, string tag) =>
        Assert.Equal((name, tag), ImageReference.Split(reference));

    [Theory]
    [InlineData("sha256:0123")]
    [InlineData("")]
    [InlineData(null)]
    public void An_image_id_has_no_name(string? reference) => Assert.Equal((null, null), ImageReference.Split(reference));

    [Theory]
    [InlineData("/libpod_parent/libpod-{0}", true)]
    [InlineData("/system.slice/docker-{0}.scope", true)]
    [InlineData("/docker/{0}", true)]
    [InlineData("/kubepods/burstable/pod1234/cri-containerd-{0}.scope", true)]
    [InlineData("/libpod_parent/conmon", false)]
    [InlineData("/user.slice", false)]
    public void Container_ids_are_found_in_cgroup_paths(string pattern, bool isContainer)
    {
        var id = string.Concat(Enumerable.Repeat("0123456789abcdef", 4));
        Assert.Equal(isContainer ? id : null, CgroupFs.ContainerIdOf(string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, id)));
    }

    [Fact]
    public void Invalid_utf8_bytes_become_hex_escapes_and_valid_text_is_unchanged()
    {
        Assert.Equal("/tmp/caf\u00e9", KernelText.Decode("/tmp/caf\u00e9"u8));
        Assert.Equal("/tmp/a\\xffb\\xc3", KernelText.Decode([.. "/tmp/a"u8, 0xff, (byte)'b', 0xc3]));
    }

    [Fact]
    public void The_string_pool_returns_the_same_instance_for_the_same_bytes()
    {
        var pool = new StringPool(16);
        var first = pool.Get("/etc/passwd"u8);
        var second = pool.Get("/etc/passwd"u8);
        Assert.Same(first, second);
        Assert.Equal("/etc/hosts", pool.Get("/etc/hosts"u8));
        Assert.Equal(1, pool.Hits);
    }

    [Fact]
    public void The_kernel_clock_maps_monotonic_time_to_wall_clock()
    {
        var clock = KernelClock.Sample();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        Assert.InRange(clock.ToUnixMicroseconds(KernelClock.MonotonicNowNs()), now - 50_000, now + 50_000);
    }
}
