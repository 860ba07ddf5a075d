using WorkloadProfiles.Contracts.Recordings;
using WorkloadProfiles.Domain.Events;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Agent.Tests;

/// <summary>
/// The agent as an unprivileged user (nobody) with only the capabilities the README lists — CAP_BPF, CAP_PERFMON,
/// CAP_DAC_READ_SEARCH (tracefs is root-only) and CAP_SYS_PTRACE (/proc of container processes) — captures a real
/// container, including the processes it finds running at start; without CAP_DAC_READ_SEARCH it says so.
/// </summary>
[Collection(KernelCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LeastPrivilegeTests(Podman podman)
{
    private const int Nobody = 65534;
    private const string Capabilities = "+bpf,+perfmon,+dac_read_search,+sys_ptrace";

    [Fact]
    public async Task As_nobody_with_the_documented_capabilities_the_agent_captures_a_running_container()
    {
        var image = await podman.ImportImageAsync("leastpriv");
        const string script = "exec 3</etc/app.conf; while true; do sleep 1; done";
        var id = await podman.StartAsync(image, script);
        var work = WritableDirectory();
        try
        {
            var result = await RunAsNobodyAsync(Capabilities, work, "leastpriv", "--duration", "00:00:08");
            Assert.True(result.ExitCode == 0, $"wp-agent exited {result.ExitCode}: {result.Output}{result.Error}");
            Assert.Contains("eBPF sensor loaded", result.Output + result.Error, StringComparison.Ordinal);

            using var reader = new RecordingReader(File.OpenRead(Path.Combine(work, "capture.avro")));
            var events = new List<RawEvent>();
            while (reader.TryRead(out var batch))
            {
                if (batch.Container.Id == id) events.AddRange(batch.Events);
            }

            // Found running at start (the /proc scan reads other users' /proc/<pid>/exe and fds: CAP_SYS_PTRACE) ...
            var shell = Assert.Single(events, e => e.Kind == EventKind.Exec && e.Args is ["/bin/sh", "-c", script]);
            Assert.Equal("/bin/busybox", shell.ExecutablePath);
            Assert.Contains(events, e => e.Kind == EventKind.Open && e.Pid == shell.Pid && e.FilePath == "/etc/app.conf");
            // ... and live from the kernel.
            Assert.Contains(events, e => e.Kind == EventKind.Exec && e.Args is ["sleep", "1"]);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Without_read_access_to_tracefs_the_agent_says_so_instead_of_calling_it_unmounted()
    {
        var work = WritableDirectory();
        try
        {
            var result = await RunAsNobodyAsync("+bpf,+perfmon,+sys_ptrace", work, "none", "--duration", "00:00:05");

            Assert.Equal(3, result.ExitCode);
            Assert.Contains("tracefs is mounted at /sys/kernel/tracing but this process (uid 65534) cannot read it", result.Output, StringComparison.Ordinal);
            Assert.Contains("CAP_DAC_READ_SEARCH", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary><c>wp-agent record</c> as nobody with <paramref name="capabilities"/> (ambient, so they survive the exec of dotnet);
    /// the native build when CI published one (<see cref="NativeAgent"/>).</summary>
    private async Task<CommandResult> RunAsNobodyAsync(string capabilities, string work, string tag, params string[] recordArguments)
    {
        // podman's socket is root's; nobody reaches it through its group, as an agent would through the runtime's group.
        var socket = podman.Endpoint["unix://".Length..];
        await ExternalCommand.RunAsync("chgrp", [Nobody.ToString(System.Globalization.CultureInfo.InvariantCulture), socket], [], TimeSpan.FromSeconds(10));
        File.SetUnixFileMode(socket, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        string[] agent = NativeAgent.Path is { } native
            ? [native]
            : [Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", Path.Combine(AppContext.BaseDirectory, "wp-agent.dll")];
        string[] arguments =
        [
            $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", $"--inh-caps={capabilities}", $"--ambient-caps={capabilities}",
            "env", $"HOME={work}", "DOTNET_CLI_TELEMETRY_OPTOUT=1",
            $"WP_Agent__ContainerRuntimeEndpoint={podman.Endpoint}", $"WP_Agent__ImageFilter=^localhost/wp-agent-test@{tag}$",
            "WP_Agent__HostName=test-host", "WP_Agent__AgentId=least-privilege",
            .. agent, "record", Path.Combine(work, "capture.avro"), .. recordArguments,
        ];
        return await ExternalCommand.RunAsync("setpriv", arguments, [], TimeSpan.FromSeconds(90));
    }

    private static string WritableDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wp-least-privilege-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        // Not through CreateDirectory's mode, which the umask narrows.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        return path;
    }
}
