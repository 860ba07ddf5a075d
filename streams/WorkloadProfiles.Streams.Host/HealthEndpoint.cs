using System.Net;
using System.Text;
using Prometheus;

namespace WorkloadProfiles.Streams.Host;

/// <summary>
/// A small HTTP listener: <c>/healthz</c> answers 200 while the stream is running (503 otherwise, with its state) and
/// <c>/metrics</c> serves the Prometheus registry.
/// </summary>
internal sealed class HealthEndpoint : IAsyncDisposable
{
    readonly HttpListener _listener = new();
    readonly Func<(bool Healthy, string State)> _health;
    readonly CollectorRegistry _registry;
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public HealthEndpoint(string address, int port, Func<(bool Healthy, string State)> health, CollectorRegistry registry)
    {
        _health = health;
        _registry = registry;
        _listener.Prefixes.Add($"http://{address}:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            try
            {
                await RespondAsync(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                // The client went away; nothing to answer.
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    async Task RespondAsync(HttpListenerContext context)
    {
        var response = context.Response;
        switch (context.Request.Url?.AbsolutePath)
        {
            case "/healthz":
                var (healthy, state) = _health();
                response.StatusCode = healthy ? 200 : 503;
                response.ContentType = "text/plain";
                await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(state + "\n"));
                break;
            case "/metrics":
                response.ContentType = "text/plain; version=0.0.4";
                await _registry.CollectAndExportAsTextAsync(response.OutputStream);
                break;
            default:
                response.StatusCode = 404;
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Close();
        await _loop;
        _stop.Dispose();
    }
}
