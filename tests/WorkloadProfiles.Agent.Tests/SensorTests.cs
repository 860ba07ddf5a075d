using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using WorkloadProfiles.Agent.Sensor;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>The sensor object built by `dotnet build` from bpf/ loads on this kernel, and its record layout matches the C header.</summary>
[Collection(KernelCollection.Name)]
public sealed class SensorTests
{
    private static string SensorObject => Path.Combine(AppContext.BaseDirectory, "sensor.bpf.o");

    [Fact]
    public void The_built_sensor_loads_and_attaches_every_program()
    {
        Assert.True(File.Exists(SensorObject), $"the agent build copies the sensor object to {SensorObject}");
        using var sensor = KernelSensor.Load(SensorObject, 1 << 20, NullLogger.Instance);

        Assert.Equal(
            ["handle_cgroup_mkdir", "handle_cgroup_rmdir", "handle_connect", "handle_enter_creat", "handle_enter_open",
             "handle_enter_open_by_handle_at", "handle_enter_openat", "handle_enter_openat2", "handle_exec", "handle_exit",
             "handle_exit_creat", "handle_exit_open", "handle_exit_open_by_handle_at", "handle_exit_openat", "handle_exit_openat2",
             "handle_fork", "handle_sendmmsg", "handle_sendmsg", "handle_sendto", "handle_uring_complete", "handle_write"],
            sensor.AttachedPrograms.Order());
        Assert.Equal(0UL, sensor.ReadCounters().RingBufferDrops);
    }

    [Fact]
    public void A_ring_buffer_size_that_is_not_a_power_of_two_is_refused_with_a_reason()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => KernelSensor.Load(SensorObject, 3 * 4096, NullLogger.Instance));
        Assert.Contains("power of two", error.Message);
    }

    [Fact]
    public void A_missing_BTF_file_is_a_clear_error()
    {
        var error = Assert.Throws<SensorUnavailableException>(() => KernelSensor.Load(SensorObject, 1 << 20, NullLogger.Instance, "/nonexistent/vmlinux"));
        Assert.Contains("CONFIG_DEBUG_INFO_BTF", error.Message);
    }

    [Fact]
    public void Cgroup_creation_is_reported_for_every_cgroup()
    {
        using var sensor = KernelSensor.Load(SensorObject, 1 << 20, NullLogger.Instance);
        var cgroups = new Containers.CgroupFs();
        var name = $"wp-agent-test-{Guid.NewGuid():N}";
        var handler = new CollectingHandler();
        Directory.CreateDirectory(cgroups.FullPath(name));
        try
        {
            var inode = Containers.CgroupFs.InodeOf(cgroups.FullPath(name));
            var deadline = Stopwatch.StartNew();
            while (!handler.Changes.Any(c => c.Created && c.CgroupId == inode) && deadline.Elapsed < TimeSpan.FromSeconds(10))
                sensor.Poll(handler, 100);
            var created = Assert.Single(handler.Changes, c => c.Created && c.CgroupId == inode);
            Assert.Equal("/" + name, created.Path);
            Assert.Equal(1, created.Level);
        }
        finally
        {
            Directory.Delete(cgroups.FullPath(name));
        }
    }

    [Fact]
    public async Task The_record_layout_matches_sensor_h()
    {
        // Compile a C program against the same header and compare offsets: the decoder reads by offset.
        var source = Path.Combine(Path.GetTempPath(), $"wp-layout-{Guid.NewGuid():N}.c");
        var header = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../bpf/sensor.h"));
        await File.WriteAllTextAsync(source, $$"""
            #include <linux/types.h>
            #include <stddef.h>
            #include <stdio.h>
            #include "{{header}}"
            #define P(t, f) printf("%s.%s=%zu\n", #t, #f, offsetof(struct t, f))
            #define S(t) printf("%s=%zu\n", #t, sizeof(struct t))
            int main(void) {
              S(wp_header); P(wp_header, start_ns); P(wp_header, comm);
              P(wp_exec, path_len); P(wp_exec, args_len); P(wp_exec, cwd_len); P(wp_exec, flags); P(wp_exec, path); P(wp_exec, cwd); P(wp_exec, args); S(wp_exec);
              P(wp_fork, child_tgid); S(wp_fork); P(wp_exit, exit_code); S(wp_exit);
              P(wp_open, flags); P(wp_open, path_len); P(wp_open, resolution); P(wp_open, path); S(wp_open);
              P(wp_connect, family); P(wp_connect, port); P(wp_connect, transport); P(wp_connect, addr); S(wp_connect);
              P(wp_dns, family); P(wp_dns, port); P(wp_dns, qtype); P(wp_dns, name_len); P(wp_dns, addr); P(wp_dns, name); S(wp_dns);
              P(wp_cgroup, id); P(wp_cgroup, container); P(wp_cgroup, level); P(wp_cgroup, path_len); P(wp_cgroup, path); S(wp_cgroup);
              S(wp_watch); printf("WP_PATH_MAX=%d\n", WP_PATH_MAX);
              return 0;
            }
            """);
        var binary = source + ".out";
        var compile = await ExternalCommand.RunAsync("gcc", ["-o", binary, source], [], TimeSpan.FromSeconds(60));
        Assert.True(compile.ExitCode == 0, compile.Error);
        var output = (await ExternalCommand.RunAsync(binary, [], [], TimeSpan.FromSeconds(10))).Output;
        var c = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(SensorRecordHeader.Size, c["wp_header"]);
        Assert.Equal(HeaderSize(), c["wp_header"]);
        Assert.Equal(16, c["wp_header.start_ns"]);
        Assert.Equal(48, c["wp_header.comm"]);
        Assert.Equal(SensorRecordLayout.PathMax, c["WP_PATH_MAX"]);
        Assert.Equal(System.Runtime.CompilerServices.Unsafe.SizeOf<SensorWatch>(), c["wp_watch"]);
        Assert.Equal(
            [SensorRecordLayout.ExecPathLen, SensorRecordLayout.ExecArgsLen, SensorRecordLayout.ExecCwdLen, SensorRecordLayout.ExecFlags, SensorRecordLayout.ExecPath, SensorRecordLayout.ExecCwd, SensorRecordLayout.ExecArgs, SensorRecordLayout.ExecSize],
            [c["wp_exec.path_len"], c["wp_exec.args_len"], c["wp_exec.cwd_len"], c["wp_exec.flags"], c["wp_exec.path"], c["wp_exec.cwd"], c["wp_exec.args"], c["wp_exec"]]);
        Assert.Equal([SensorRecordLayout.ForkChildTgid, SensorRecordLayout.ForkSize, SensorRecordLayout.ExitCode, SensorRecordLayout.ExitSize],
            [c["wp_fork.child_tgid"], c["wp_fork"], c["wp_exit.exit_code"], c["wp_exit"]]);
        Assert.Equal([SensorRecordLayout.OpenFlags, SensorRecordLayout.OpenPathLen, SensorRecordLayout.OpenResolution, SensorRecordLayout.OpenPath, SensorRecordLayout.OpenSize],
            [c["wp_open.flags"], c["wp_open.path_len"], c["wp_open.resolution"], c["wp_open.path"], c["wp_open"]]);
        Assert.Equal([SensorRecordLayout.ConnectFamily, SensorRecordLayout.ConnectPort, SensorRecordLayout.ConnectTransport, SensorRecordLayout.ConnectAddr, SensorRecordLayout.ConnectSize],
            [c["wp_connect.family"], c["wp_connect.port"], c["wp_connect.transport"], c["wp_connect.addr"], c["wp_connect"]]);
        Assert.Equal([SensorRecordLayout.DnsFamily, SensorRecordLayout.DnsPort, SensorRecordLayout.DnsQtype, SensorRecordLayout.DnsNameLen, SensorRecordLayout.DnsAddr, SensorRecordLayout.DnsName, SensorRecordLayout.DnsSize],
            [c["wp_dns.family"], c["wp_dns.port"], c["wp_dns.qtype"], c["wp_dns.name_len"], c["wp_dns.addr"], c["wp_dns.name"], c["wp_dns"]]);
        Assert.Equal([SensorRecordLayout.CgroupId, SensorRecordLayout.CgroupContainer, SensorRecordLayout.CgroupLevel, SensorRecordLayout.CgroupPathLen, SensorRecordLayout.CgroupPath, SensorRecordLayout.CgroupSize],
            [c["wp_cgroup.id"], c["wp_cgroup.container"], c["wp_cgroup.level"], c["wp_cgroup.path_len"], c["wp_cgroup.path"], c["wp_cgroup"]]);
    }

    private static unsafe int HeaderSize() => sizeof(SensorRecordHeader);

    private sealed class CollectingHandler : ISensorRecordHandler
    {
        private readonly SensorRecordDecoder _decoder = new(KernelClock.Sample(), new StringPool(), 8);

        public List<CgroupChange> Changes { get; } = [];

        public void OnRecord(ReadOnlySpan<byte> record)
        {
            if (SensorRecordDecoder.IsCgroupRecord(SensorRecordHeader.Of(record).Kind)) Changes.Add(_decoder.DecodeCgroup(record));
        }
    }
}
