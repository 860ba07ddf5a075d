using System.Runtime.InteropServices;

namespace WorkloadProfiles.LocalBroker;

/// <summary>
/// Completes on SIGINT or SIGTERM (or cancellation) instead of letting the runtime end the process, so the broker closes
/// its listeners and destroys the cluster before exiting with 0.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly PosixSignalRegistration _interrupt;
    readonly PosixSignalRegistration _terminate;
    readonly CancellationTokenRegistration _cancellation;

    public StopSignal(CancellationToken cancellation)
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _cancellation = cancellation.Register(() => _stopped.TrySetResult());
    }

    public Task WaitAsync() => _stopped.Task;

    void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopped.TrySetResult();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancellation.Dispose();
    }
}
