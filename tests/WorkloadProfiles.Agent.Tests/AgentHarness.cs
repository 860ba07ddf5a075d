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

/// <summary>A real agent (kernel sensor, podman resolver) publishing into memory, profiling only one test's image tag.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private readonly DockerContainerRuntime _runtime;
    private readonly ILoggerFactory _loggers;

    private AgentHarness(AgentHost host, IEventPublisher publisher, DockerContainerRuntime runtime, ILoggerFactory loggers)
    {
        Host = host;
        Publisher = publisher;
        _runtime = runtime;
        _loggers = loggers;
    }

    public AgentHost Host { get; }

    public IEventPublisher Publisher { get; }

    public static AgentHarness Start(Podman podman, string tag, IEventPublisher publisher, int maxProfiled = 5,
        TimeSpan? sessionLength = null, IProfileStatusSource? statuses = null)
    {
        var options = new AgentOptions
        {
            ContainerRuntimeEndpoint = podman.Endpoint,
            MaxProfiledContainers = maxProfiled,
            SessionLength = sessionLength ?? TimeSpan.FromMinutes(30),
            ImageFilter = $"^localhost/wp-agent-test@{tag}$",
            HostName = "test-host",
            AgentId = "test-agent",
        };
        var loggers = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        var runtime = new DockerContainerRuntime(podman.Endpoint);
        var host = AgentHost.Start(options, publisher, runtime, statuses ?? new ProfileStatusTable(), loggers);
        return new AgentHarness(host, publisher, runtime, loggers);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _runtime.Dispose();
        _loggers.Dispose();
    }
}
