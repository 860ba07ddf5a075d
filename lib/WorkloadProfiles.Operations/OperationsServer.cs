using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using WorkloadProfiles.Hosting;

namespace WorkloadProfiles.Operations;

/// <summary>
/// A small Kestrel server with only <c>/healthz</c> and <c>/metrics</c>, for services that serve nothing else
/// (<c>wp-streams</c>, <c>wp-sink</c>, the sink inside <c>wp-local</c>).
/// </summary>
public sealed class OperationsServer : IAsyncDisposable
{
    readonly WebApplication _app;

    OperationsServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The address it listens on, e.g. <c>http://127.0.0.1:9464</c>.</summary>
    public string Url { get; }

    /// <summary>Starts listening on <paramref name="address"/>:<paramref name="port"/>.</summary>
    /// <exception cref="PrerequisiteException">The port is in use or the address cannot be bound.</exception>
    public static async Task<OperationsServer> StartAsync(string address, int port, Func<CancellationToken, Task<Health>> health,
        CollectorRegistry registry, string configurationKeys, CancellationToken cancellationToken = default)
    {
        var url = $"http://{(IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address)}:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        app.MapOperations(health, registry);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new PrerequisiteException($"cannot serve /healthz and /metrics on {url}: {e.Message} (set {configurationKeys})", e);
        }

        return new OperationsServer(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
