using Microsoft.Extensions.Configuration;

namespace WorkloadProfiles.Sink;

/// <summary>
/// The project's configuration convention: a JSON file (<c>--config</c>, else <c>WP_CONFIG</c>, else
/// <c>./workloadprofiles.json</c>, optional), then <c>WP_</c> environment variables (<c>__</c> separates sections),
/// then the command line (<c>--Sink:MaxBatchRecords 1000</c>); later sources win.
/// </summary>
internal static class SinkConfiguration
{
    public static IConfiguration Load(string[] args)
    {
        var path = Environment.GetEnvironmentVariable("WP_CONFIG") is { Length: > 0 } fromEnvironment ? fromEnvironment : "workloadprofiles.json";
        var remaining = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Length) path = args[++i];
            else remaining.Add(args[i]);
        }
        return new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(path), optional: true)
            .AddEnvironmentVariables("WP_")
            .AddCommandLine(remaining.ToArray())
            .Build();
    }
}
