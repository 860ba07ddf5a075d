using System.Diagnostics;
using System.Globalization;
using WorkloadProfiles.Contracts.Recordings;
using WorkloadProfiles.DetectionQuality.Corpus;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.DetectionQuality;

/// <summary>
/// Records the corpus live: builds the benign images (busybox rootfs, no registry), runs the scenario in podman containers
/// while <c>wp-agent record</c> captures them with the eBPF sensor, injects the attack steps, and keeps from the recording
/// only the scenario's containers (the agent watches every container on the host). Needs root, podman, busybox-static.
/// </summary>
internal sealed class Recorder(string outputDirectory, TextWriter log)
{
    private static readonly string[] RunFlags =
        ["--runtime", "runc", "--cgroup-manager", "cgroupfs", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--network", "none"];
    private const int LearningContainers = 3;
    private const int RepeatContainers = 2;
    private static readonly TimeSpan LearningTime = TimeSpan.FromSeconds(105);
    private static readonly TimeSpan RepeatTime = TimeSpan.FromSeconds(75);
    private static readonly TimeSpan JobInterval = TimeSpan.FromSeconds(4);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("wp-quality-").FullName;
        var containers = new List<RecordedContainer>();
        var socket = Path.Combine(work, "podman.sock");
        using var service = Start("podman", ["system", "service", "--time=0", $"unix://{socket}"]);
        Process? agent = null;
        try
        {
            foreach (var image in Scenario.Images) await ImportAsync(image, work, cancellationToken);
            await WaitForAsync(() => File.Exists(socket), "podman's API socket", cancellationToken);

            var raw = Path.Combine(work, "raw.avro");
            agent = Start("dotnet", [AgentAssembly(), "record", raw], new Dictionary<string, string>
            {
                ["WP_Agent__ContainerRuntimeEndpoint"] = $"docker+unix://{socket}",
                ["WP_Agent__MaxProfiledContainers"] = "100",
                ["WP_Agent__FollowProfiles"] = "false",
                ["WP_Agent__SessionLength"] = "01:00:00",
                ["WP_Agent__HostName"] = "quality-host",
                ["WP_Agent__AgentId"] = "quality-agent",
            });
            await Task.Delay(TimeSpan.FromSeconds(8), cancellationToken); // sensor load and attach

            log.WriteLine($"learning: {LearningContainers} containers per image for {LearningTime.TotalSeconds:0} s");
            var learning = await StartAllAsync(LearningContainers, ContainerRole.Learning, containers, cancellationToken);
            await Task.Delay(LearningTime, cancellationToken);
            await RemoveAsync(learning, cancellationToken);

            log.WriteLine($"repeat and attack: {RepeatContainers} fresh containers and one attacked container per image for {RepeatTime.TotalSeconds:0} s");
            var repeat = await StartAllAsync(RepeatContainers, ContainerRole.Repeat, containers, cancellationToken);
            var attacked = await StartAllAsync(1, ContainerRole.Attack, containers, cancellationToken);
            var started = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken);
            foreach (var step in Scenario.Attacks)
            {
                var target = attacked.Single(c => c.Image == step.Image).Id;
                log.WriteLine($"  attack {step.Name} in {step.Image}");
                switch (step.Via)
                {
                    case Injection.Exec:
                        await PodmanAsync(["exec", target, "/bin/sh", "-c", step.Command], cancellationToken, check: false);
                        break;
                    case Injection.Job:
                        await CopyIntoAsync(target, "/run/job", step.Command + "\n", work, cancellationToken);
                        break;
                    case Injection.Config:
                        await CopyIntoAsync(target, step.ConfigFile!, step.Command + "\n", work, cancellationToken);
                        // One loop or two with the attacker's setting, then back to the image's default (an empty file).
                        await Task.Delay(JobInterval, cancellationToken);
                        await CopyIntoAsync(target, step.ConfigFile!, "", work, cancellationToken);
                        break;
                }
                await Task.Delay(JobInterval, cancellationToken);
            }
            var left = RepeatTime - started.Elapsed;
            if (left > TimeSpan.Zero) await Task.Delay(left, cancellationToken);
            await RemoveAsync([.. repeat, .. attacked], cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken); // exits and last batches reach the recording

            Interrupt(agent);
            await agent.WaitForExitAsync(cancellationToken);
            // 130: System.CommandLine's exit code for an interrupted command, after the recording is flushed and closed.
            if (agent.ExitCode is not (0 or 130)) throw new InvalidOperationException($"wp-agent record exited with {agent.ExitCode}");

            Directory.CreateDirectory(outputDirectory);
            var kept = Filter(raw, Path.Combine(outputDirectory, Manifest.RecordingFile), containers.Select(c => c.Id).ToHashSet());
            new Manifest(DateTimeOffset.UtcNow, Environment.OSVersion.VersionString, Evaluation.DefaultWindowSeconds, containers, Scenario.Attacks)
                .Save(outputDirectory);
            log.WriteLine($"recorded {kept} batches of {containers.Count} containers to {outputDirectory}");
            return 0;
        }
        finally
        {
            if (agent is { HasExited: false }) agent.Kill(entireProcessTree: true);
            agent?.Dispose();
            if (containers.Count > 0) await PodmanAsync(["rm", "--force", "--ignore", "--time", "0", .. containers.Select(c => c.Id)], CancellationToken.None, check: false);
            if (!service.HasExited) service.Kill(entireProcessTree: true);
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task<List<RecordedContainer>> StartAllAsync(int perImage, ContainerRole role, List<RecordedContainer> all, CancellationToken cancellationToken)
    {
        var started = new List<RecordedContainer>();
        foreach (var image in Scenario.Images)
        {
            for (var i = 0; i < perImage; i++)
            {
                var id = (await PodmanAsync(["run", "-d", .. RunFlags, $"{image.Name}:{Scenario.Tag}", "/bin/sh", "/app/run.sh"], cancellationToken)).Trim();
                var container = new RecordedContainer(id, image.Name, Scenario.Tag, role);
                started.Add(container);
                all.Add(container);
            }
        }
        return started;
    }

    private static async Task CopyIntoAsync(string container, string path, string content, string work, CancellationToken cancellationToken)
    {
        var file = Path.Combine(work, "inject");
        await File.WriteAllTextAsync(file, content, cancellationToken);
        await PodmanAsync(["cp", file, $"{container}:{path}"], cancellationToken);
    }

    private static async Task RemoveAsync(IEnumerable<RecordedContainer> containers, CancellationToken cancellationToken) =>
        await PodmanAsync(["rm", "--force", "--time", "0", .. containers.Select(c => c.Id)], cancellationToken);

    /// <summary>A busybox rootfs with the image's entrypoint and the files attacks go after (credentials, cron, passwd).</summary>
    private async Task ImportAsync(BenignImage image, string work, CancellationToken cancellationToken)
    {
        var root = Path.Combine(work, image.Name.Replace('/', '_'));
        foreach (var dir in new[] { "bin", "etc/crontabs", "tmp", "proc", "sys", "dev", "run", "app", "www", "data", "root/.ssh",
                     "var/run/secrets/kubernetes.io/serviceaccount" })
            Directory.CreateDirectory(Path.Combine(root, dir));
        File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
        foreach (var applet in (await RunAsync("/bin/busybox", ["--list"], cancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (applet != "busybox") File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        await File.WriteAllTextAsync(Path.Combine(root, "app", "run.sh"), Scenario.Entrypoint(image), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(root, "www", "index.html"), "<h1>quality</h1>\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(root, "etc", "shadow"), "root:*:19000:0:99999:7:::\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(root, "root", ".ssh", "id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----\n(test key)\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(root, "var", "run", "secrets", "kubernetes.io", "serviceaccount", "token"), "test-token\n", cancellationToken);
        var tar = root + ".tar";
        await RunAsync("tar", ["-C", root, "-cf", tar, "."], cancellationToken);
        await PodmanAsync(["import", tar, $"{image.Name}:{Scenario.Tag}"], cancellationToken);
    }

    /// <summary>Copies the batches of <paramref name="keep"/> from the agent's recording (it watched every container).</summary>
    private static long Filter(string from, string to, HashSet<string> keep)
    {
        // Written aside and moved into place, so a failed recording never leaves a partial corpus behind.
        var partial = to + ".partial";
        long kept = 0;
        using (var input = File.OpenRead(from))
        using (var reader = new RecordingReader(input))
        using (var output = File.Create(partial))
        using (var writer = new RecordingWriter(output))
        {
            foreach (var batch in reader.ReadAll())
            {
                if (!keep.Contains(batch.Container.Id)) continue;
                writer.Write(batch);
                kept++;
            }
        }
        File.Move(partial, to, overwrite: true);
        return kept;
    }

    private static string AgentAssembly()
    {
        var here = AppContext.BaseDirectory;
        var path = Path.Combine(here, "wp-agent.dll");
        if (File.Exists(path)) return path;
        var root = RepositoryRoot();
        var built = Directory.GetFiles(Path.Combine(root, "agent", "WorkloadProfiles.Agent", "bin"), "wp-agent.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        return built ?? throw new FileNotFoundException("wp-agent.dll not found: build agent/WorkloadProfiles.Agent first");
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "WorkloadProfiles.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("not inside the repository");
    }

    private static void Interrupt(Process process) => Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();

    private static Process Start(string program, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} did not appear within 30 s");
            await Task.Delay(100, cancellationToken);
        }
    }

    private static Task<string> PodmanAsync(string[] arguments, CancellationToken cancellationToken, bool check = true) =>
        RunAsync("podman", arguments, cancellationToken, check);

    private static async Task<string> RunAsync(string program, string[] arguments, CancellationToken cancellationToken, bool check = true)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
        return await output;
    }
}
