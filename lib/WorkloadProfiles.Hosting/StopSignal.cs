using System.Runtime.InteropServices;

namespace WorkloadProfiles.Hosting;

/// <summary>
/// Completes on SIGINT or SIGTERM (or cancellation) instead of letting the runtime end the process, so a service closes
/// what it holds (commits, flushes, listeners) before it exits with 0.
/// </summary>
public sealed class StopSignal : IDisposable
{
    readonly CancellationTokenSource _stopping = new();
    readonly PosixSignalRegistration _interrupt;
    readonly PosixSignalRegistration _terminate;
    readonly CancellationTokenRegistration _cancellation;

    public StopSignal(CancellationToken cancellation = default)
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _cancellation = cancellation.Register(Stop);
    }

    /// <summary>Cancelled once a stop was asked for.</summary>
    public CancellationToken Token => _stopping.Token;

    /// <summary>Completes when a stop was asked for.</summary>
    public Task WaitAsync() => Task.Delay(Timeout.Infinite, Token).ContinueWith(_ => { }, TaskScheduler.Default);

    void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Stop();
    }

    void Stop()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A signal after the process finished its shutdown.
        }
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancellation.Dispose();
        _stopping.Dispose();
    }
}
