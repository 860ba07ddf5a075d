using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using WorkloadProfiles.Explorer.Suppressions;

namespace WorkloadProfiles.Explorer.Api;

/// <summary>
/// Every unhandled exception becomes a problem response with a generic message and the trace id; the exception itself
/// (message, stack, SQL) goes to the log only, where the trace id finds it.
/// </summary>
internal sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var traceId = Activity.Current?.Id ?? context.TraceIdentifier;
        var (status, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "The request could not be read."),
            SuppressionPublishException => (StatusCodes.Status503ServiceUnavailable, "The suppression could not be written to Kafka; try again."),
            HttpRequestException => (StatusCodes.Status503ServiceUnavailable, "The profile store is unavailable; try again."),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "The request was cancelled."),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred."),
        };
        if (status >= 500) logger.LogError(exception, "{Method} {Path} failed ({Status}, trace {TraceId})", context.Request.Method, context.Request.Path, status, traceId);
        else logger.LogInformation("{Method} {Path} rejected: {Message} (trace {TraceId})", context.Request.Method, context.Request.Path, exception.Message, traceId);

        await Results.Problem(
                title: title,
                detail: $"Quote trace id {traceId} when reporting this.",
                statusCode: status,
                extensions: new Dictionary<string, object?> { ["traceId"] = traceId })
            .ExecuteAsync(context);
        return true;
    }
}
