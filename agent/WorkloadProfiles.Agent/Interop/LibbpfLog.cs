using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace WorkloadProfiles.Agent.Interop;

/// <summary>
/// Routes libbpf's diagnostics (including the verifier log of a program that fails to load) to the agent's logger,
/// and keeps the recent lines so a load failure can quote them in its exception.
/// </summary>
internal static unsafe class LibbpfLog
{
    private const int MaxKeptLines = 200;
    private static readonly Lock Gate = new();
    private static readonly Queue<string> Recent = new();
    private static ILogger? _logger;
    private static bool _installed;

    public static void Install(ILogger logger)
    {
        lock (Gate)
        {
            _logger = logger;
            if (_installed) return;
            Libbpf.libbpf_set_print(&OnPrint);
            _installed = true;
        }
    }

    /// <summary>The last lines libbpf printed (newest last), then forgets them.</summary>
    public static string Drain()
    {
        lock (Gate)
        {
            var text = string.Join("", Recent);
            Recent.Clear();
            return text;
        }
    }

    [UnmanagedCallersOnly]
    private static int OnPrint(int level, nint format, nint args)
    {
        try
        {
            const int size = 4096;
            var buffer = stackalloc byte[size];
            var written = Libbpf.vsnprintf(buffer, size, format, args);
            if (written <= 0) return 0;
            var line = Encoding.UTF8.GetString(buffer, Math.Min(written, size - 1));
            lock (Gate)
            {
                Recent.Enqueue(line);
                while (Recent.Count > MaxKeptLines) Recent.Dequeue();
            }
            // libbpf levels: 0 warn, 1 info, 2 debug.
            var logLevel = level switch { 0 => LogLevel.Warning, 1 => LogLevel.Debug, _ => LogLevel.Trace };
            _logger?.Log(logLevel, "libbpf: {Line}", line.TrimEnd());
        }
        catch
        {
            // Never unwind into native code.
        }
        return 0;
    }
}
