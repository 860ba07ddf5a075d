using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace WorkloadProfiles.Operations;

/// <summary><c>/healthz</c> and <c>/metrics</c>, the same in every service; both open (no token): probes and scrapers.</summary>
public static class OperationsEndpoints
{
    public const string HealthPath = "/healthz";
    public const string MetricsPath = "/metrics";

    /// <summary>Maps the two endpoints; <paramref name="health"/> is asked on every probe.</summary>
    public static void MapOperations(this IEndpointRouteBuilder endpoints, Func<CancellationToken, Task<Health>> health, CollectorRegistry registry)
    {
        endpoints.MapGet(HealthPath, async (HttpContext context) =>
        {
            var report = await health(context.RequestAborted);
            context.Response.StatusCode = report.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "text/plain; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.WriteAsync(report.State + "\n", context.RequestAborted);
        }).AllowAnonymous();
        endpoints.MapMetrics(MetricsPath, registry).AllowAnonymous();
    }
}
