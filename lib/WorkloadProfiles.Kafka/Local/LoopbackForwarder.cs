using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace WorkloadProfiles.Kafka.Local;

/// <summary>
/// Accepts TCP connections on a fixed loopback port and relays each one to a target endpoint. The mock cluster binds
/// random ports; this gives a broker the stable address (e.g. 127.0.0.1:9092) that agents and kcat are configured with.
/// </summary>
internal sealed class LoopbackForwarder : IDisposable
{
    readonly TcpListener _listener;
    readonly IPEndPoint _target;
    readonly CancellationTokenSource _stopping = new();
    readonly ConcurrentDictionary<Socket, byte> _connections = new();
    readonly Task _acceptLoop;

    LoopbackForwarder(TcpListener listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/>; throws a clear error when the port is taken.</summary>
    public static LoopbackForwarder Start(int port, IPEndPoint target) => new(LoopbackListener.Start(port), target);

    async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    async Task RelayAsync(Socket client)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _connections[client] = 0;
        _connections[upstream] = 0;
        try
        {
            await upstream.ConnectAsync(_target, _stopping.Token);
            await using var clientStream = new NetworkStream(client, ownsSocket: false);
            await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
            // Either side closing ends the connection for both, as a direct connection would.
            await Task.WhenAny(
                clientStream.CopyToAsync(upstreamStream, _stopping.Token),
                upstreamStream.CopyToAsync(clientStream, _stopping.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A peer went away or the broker is stopping: the relay simply ends.
        }
        finally
        {
            _connections.TryRemove(client, out _);
            _connections.TryRemove(upstream, out _);
            client.Dispose();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Stop();
        foreach (var socket in _connections.Keys)
        {
            socket.Dispose();
        }

        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The accept loop ends by cancellation; nothing to report.
        }

        _stopping.Dispose();
    }
}
