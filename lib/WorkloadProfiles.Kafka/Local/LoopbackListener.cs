using System.Net;
using System.Net.Sockets;

namespace WorkloadProfiles.Kafka.Local;

/// <summary>Binds the local broker's loopback listeners.</summary>
internal static class LoopbackListener
{
    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0 picks a free port); a taken port is an error naming it.</summary>
    public static TcpListener Start(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return listener;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            listener.Dispose();
            var reason = e.SocketErrorCode == SocketError.AddressAlreadyInUse ? "the port is already in use (is another broker running?)" : "access denied";
            throw new InvalidOperationException($"Cannot listen on 127.0.0.1:{port}: {reason}.", e);
        }
    }
}
