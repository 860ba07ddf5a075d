using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Agent.Sensor;
using WorkloadProfiles.Domain.Events;

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
    [InlineData("app:1.4@sha256:abcd", "app", "1.4")] // the tag is the version, the digest pins it
    // CRI runtimes report Docker Hub images fully qualified; the familiar name keeps one profile per image.
    [InlineData("docker.io/library/nginx:1.27.3", "nginx", "1.27.3")]
    [InlineData("docker.io/bitnami/redis:7.2", "bitnami/redis", "7.2")]
    [InlineData("docker.io/library/team/app:1", "library/team/app", "1")]
    [InlineData("registry.k8s.io/pause:3.9", "registry.k8s.io/pause", "3.9")]
    public void Image_references_split_into_name_and_tag(string reference, string name, string tag) =>
        Assert.Equal((name, tag), ImageReference.Split(reference));

    [Theory]
    [InlineData("sha256:0123")]
    [InlineData("f81ec60910de821f2aa4fe278123ebd5fdfbecc8129384d52d11152253390cee")]
    [InlineData("")]
    [InlineData(null)]
    public void An_image_id_has_no_name(string? reference) => Assert.Equal((null, null), ImageReference.Split(reference));

    [Theory]
    [InlineData("/libpod_parent/libpod-{0}", true)]
    [InlineData("/machine.slice/libpod-{0}.scope/container", true)]
    [InlineData("/system.slice/docker-{0}.scope", true)]
    [InlineData("/docker/{0}", true)]
    // kubelet, systemd cgroup driver: QoS class slices, the pod's slice (uid with underscores), the runtime's scope.
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice/cri-containerd-{0}.scope", true)]
    [InlineData("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice/crio-{0}.scope", true)]
    [InlineData("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice/crio-{0}.scope/container", true)]
    [InlineData("/kubepods.slice/kubepods-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice/cri-containerd-{0}.scope", true)] // Guaranteed
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice/docker-{0}.scope", true)] // cri-dockerd
    [InlineData("/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice/cri-containerd-{0}.scope", true)] // kind
    // kubelet, cgroupfs driver.
    [InlineData("/kubepods/burstable/pod7f1f2c3e-8a4b-4c1d-9e2f-0a1b2c3d4e5f/{0}", true)]
    [InlineData("/kubepods/besteffort/pod7f1f2c3e-8a4b-4c1d-9e2f-0a1b2c3d4e5f/{0}", true)]
    [InlineData("/kubepods/pod7f1f2c3e-8a4b-4c1d-9e2f-0a1b2c3d4e5f/{0}", true)] // Guaranteed
    [InlineData("/kubepods/burstable/pod7f1f2c3e-8a4b-4c1d-9e2f-0a1b2c3d4e5f/crio-{0}", true)]
    [InlineData("/kubepods/kubepods/besteffort/pod7f1f2c3e-8a4b-4c1d-9e2f-0a1b2c3d4e5f/{0}", true)] // k3s in a container
    // Not containers: the QoS and pod levels, conmon beside a container, the runtime's own services.
    [InlineData("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice", false)]
    [InlineData("/kubepods/besteffort/pod7f1f2c3e-8a4b-4c1d-9e2f-0a1b2c3d4e5f", false)]
    [InlineData("/kubepods/burstable", false)]
    [InlineData("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod7f1f2c3e_8a4b_4c1d_9e2f_0a1b2c3d4e5f.slice/crio-conmon-{0}.scope", false)]
    [InlineData("/kubepods/burstable/pod7f1f2c3e-8a4b-4c1d-9e2f-0a1b2c3d4e5f/crio-conmon-{0}", false)]
    [InlineData("/machine.slice/libpod-conmon-{0}.scope", false)]
    [InlineData("/system.slice/containerd.service", false)]
    [InlineData("/system.slice/kubelet.service", false)]
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

    private static byte[] Record(SensorRecordKind kind, int size)
    {
        var record = new byte[size];
        BitConverter.TryWriteBytes(record.AsSpan(24), (uint)kind);
        BitConverter.TryWriteBytes(record.AsSpan(28), 42u);
        return record;
    }

    [Fact]
    public void A_cut_argv_ends_with_a_marker_so_its_signature_never_equals_a_whole_one()
    {
        var decoder = new SensorRecordDecoder(KernelClock.WithOffset(0), new StringPool(), maxArgs: 3);
        var exec = Record(SensorRecordKind.Exec, SensorRecordLayout.ExecSize);
        var args = "wget\0-q\0http://a/\0"u8.ToArray();
        "/bin/busybox"u8.CopyTo(exec.AsSpan(SensorRecordLayout.ExecPath));
        BitConverter.TryWriteBytes(exec.AsSpan(SensorRecordLayout.ExecPathLen), (ushort)12);
        args.CopyTo(exec.AsSpan(SensorRecordLayout.ExecArgs));
        BitConverter.TryWriteBytes(exec.AsSpan(SensorRecordLayout.ExecArgsLen), (ushort)args.Length);

        Assert.Equal(["wget", "-q", "http://a/"], decoder.Decode(exec).Args);

        BitConverter.TryWriteBytes(exec.AsSpan(SensorRecordLayout.ExecFlags), SensorRecordLayout.ExecArgsTruncated);
        Assert.Equal(["wget", "-q", "http://a/", SensorRecordDecoder.TruncatedArgv], decoder.Decode(exec).Args);

        var more = "wget\0-q\0-O\0/tmp/x\0"u8.ToArray();
        more.CopyTo(exec.AsSpan(SensorRecordLayout.ExecArgs));
        BitConverter.TryWriteBytes(exec.AsSpan(SensorRecordLayout.ExecArgsLen), (ushort)more.Length);
        BitConverter.TryWriteBytes(exec.AsSpan(SensorRecordLayout.ExecFlags), (ushort)0);
        Assert.Equal(["wget", "-q", "-O", SensorRecordDecoder.TruncatedArgv], decoder.Decode(exec).Args);
    }

    [Theory]
    [InlineData(PathResolution.OpenedFile, "/etc/shadow", "/etc/shadow")]
    [InlineData(PathResolution.Joined, "/tmp/../etc//./shadow", "/etc/shadow")]
    [InlineData(PathResolution.AsPassed, "../etc/shadow", "../etc/shadow")]
    public void An_open_keeps_how_its_path_was_obtained_and_a_joined_path_is_made_lexically_clean(
        PathResolution resolution, string path, string expected)
    {
        var decoder = new SensorRecordDecoder(KernelClock.WithOffset(0), new StringPool(), maxArgs: 8);
        var open = Record(SensorRecordKind.Open, SensorRecordLayout.OpenSize);
        System.Text.Encoding.UTF8.GetBytes(path).CopyTo(open.AsSpan(SensorRecordLayout.OpenPath));
        BitConverter.TryWriteBytes(open.AsSpan(SensorRecordLayout.OpenPathLen), (ushort)path.Length);
        open[SensorRecordLayout.OpenResolution] = (byte)resolution;

        var e = decoder.Decode(open);

        Assert.Equal(expected, e.FilePath);
        Assert.Equal(resolution, e.FileResolution);
    }

    [Fact]
    public void The_kernel_clock_maps_monotonic_time_to_wall_clock()
    {
        var clock = KernelClock.Sample();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        Assert.InRange(clock.ToUnixMicroseconds(KernelClock.MonotonicNowNs()), now - 50_000, now + 50_000);
    }
}
