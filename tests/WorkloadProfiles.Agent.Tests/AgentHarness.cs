using Microsoft.Extensions.Logging;
using WorkloadProfiles.Agent.Containers;
using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Agent.Scheduling;

namespace WorkloadProfiles.Agent.Tests;

[CollectionDefinition(Name)]
public sealed class KernelCollection : ICollectionFixture<Podman>
{
    // One agent and its containers at a time: the kernel sensor and the host's cgroups are shared.
    public const string Name = "kernel and podman";
}

/// <summary>A real agent (kernel sensor, a real container runtime) publishing into memory, profiling only one test's image.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private readonly IContainerRuntime? _ownedRuntime;
    private readonly ILoggerFactory _loggers;

    private AgentHarness(AgentHost host, IEventPublisher publisher, IContainerRuntime? ownedRuntime, ILoggerFactory loggers)
    {
        Host = host;
        Publisher = publisher;
        _ownedRuntime = ownedRuntime;
        _loggers = loggers;
    }

    public AgentHost Host { get; }

    public IEventPublisher Publisher { get; }

    /// <summary>An agent resolving through podman's Docker Engine API, profiling <c>localhost/wp-agent-test:&lt;tag&gt;</c>.</summary>
    public static AgentHarness Start(Podman podman, string tag, IEventPublisher publisher, int maxProfiled = 5,
        TimeSpan? sessionLength = null, IProfileStatusSource? statuses = null, TimeSpan? imageWait = null) =>
        Start(new DockerContainerRuntime(podman.Endpoint), ownsRuntime: true, $"^localhost/wp-agent-test@{tag}$", publisher, maxProfiled,
            sessionLength, statuses, imageWait);

    /// <summary>An agent resolving through <paramref name="runtime"/>, profiling images that match <paramref name="imageFilter"/>.</summary>
    public static AgentHarness Start(IContainerRuntime runtime, bool ownsRuntime, string imageFilter, IEventPublisher publisher,
        int maxProfiled = 5, TimeSpan? sessionLength = null, IProfileStatusSource? statuses = null, TimeSpan? imageWait = null)
    {
        var options = new AgentOptions
        {
            ImageWait = imageWait ?? new AgentOptions().ImageWait,
            MaxProfiledContainers = maxProfiled,
            SessionLength = sessionLength ?? TimeSpan.FromMinutes(30),
            ImageFilter = imageFilter,
            HostName = "test-host",
            AgentId = "test-agent",
        };
        var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        try
        {
            var host = AgentHost.Start(options, publisher, runtime, statuses ?? new ProfileStatusTable(), loggers);
            return new AgentHarness(host, publisher, ownsRuntime ? runtime : null, loggers);
        }
        catch
        {
            if (ownsRuntime) runtime.Dispose();
            loggers.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _ownedRuntime?.Dispose();
        _loggers.Dispose();
    }
}
