using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace WorkloadProfiles.Kafka.Local;

/// <summary>
/// Lets other processes create topics on a broker hosted by the broker command, since the mock cluster answers
/// CreateTopics with "not supported". One request per line over loopback TCP (see <see cref="BrokerControlProtocol"/>).
/// </summary>
public sealed class BrokerControlServer : IDisposable
{
    readonly TcpListener _listener;
    readonly ITopicCreator _topics;
    readonly ILogger _logger;
    readonly CancellationTokenSource _stopping = new();
    readonly Task _acceptLoop;

    BrokerControlServer(TcpListener listener, ITopicCreator topics, ILogger logger)
    {
        _listener = listener;
        _topics = topics;
        _logger = logger;
        _acceptLoop = AcceptAsync();
    }

    /// <summary>The loopback port requests are accepted on.</summary>
    public int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0 picks a free port).</summary>
    public static BrokerControlServer Start(int port, ITopicCreator topics, ILogger? logger = null) =>
        new(LoopbackListener.Start(port), topics, logger ?? NullLogger.Instance);

    async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.UTF8);
                await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
                while (await reader.ReadLineAsync(_stopping.Token) is { } line)
                {
                    await writer.WriteLineAsync(Handle(line));
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The peer hung up or the broker is stopping.
            }
        }
    }

    string Handle(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not [BrokerControlProtocol.CreateVerb, var name, var count])
        {
            return $"{BrokerControlProtocol.ErrorReply} expected '{BrokerControlProtocol.CreateVerb} <topic> <partitions>'";
        }

        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var partitions))
        {
            return $"{BrokerControlProtocol.ErrorReply} partitions must be a positive integer, got '{count}'";
        }

        try
        {
            var created = _topics.CreateTopic(name, partitions);
            _logger.LogInformation("Control: {Outcome} topic {Topic} ({Partitions} partitions requested)", created ? "created" : "kept existing", name, partitions);
            return created ? BrokerControlProtocol.CreatedReply : BrokerControlProtocol.ExistsReply;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return $"{BrokerControlProtocol.ErrorReply} {e.Message.ReplaceLineEndings(" ")}";
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Stop();
        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Ends by cancellation.
        }

        _stopping.Dispose();
    }
}
