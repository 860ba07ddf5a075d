using System.Net.Sockets;
using System.Text;

namespace WorkloadProfiles.Kafka.Local;

/// <summary>Creates topics on a broker command running in another process, through its control port.</summary>
public sealed class BrokerControlClient(int port, TimeSpan? timeout = null) : ITopicCreator
{
    readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(10);

    /// <summary>The control port of the broker command.</summary>
    public int Port { get; } = port;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The broker is unreachable or refused the request.</exception>
    public bool CreateTopic(string name, int partitions)
    {
        LocalKafkaBroker.ValidateTopicName(name);
        string reply;
        try
        {
            using var client = new TcpClient { ReceiveTimeout = (int)_timeout.TotalMilliseconds, SendTimeout = (int)_timeout.TotalMilliseconds };
            client.Connect(System.Net.IPAddress.Loopback, Port);
            using var stream = client.GetStream();
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            writer.WriteLine($"{BrokerControlProtocol.CreateVerb} {name} {partitions}");
            writer.Flush();
            using var reader = new StreamReader(stream, Encoding.UTF8);
            reply = reader.ReadLine() ?? $"{BrokerControlProtocol.ErrorReply} connection closed without a reply";
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new InvalidOperationException($"Cannot reach the local broker's control port 127.0.0.1:{Port} to create topic {name}: {e.Message}", e);
        }

        return reply switch
        {
            BrokerControlProtocol.CreatedReply => true,
            BrokerControlProtocol.ExistsReply => false,
            _ => throw new InvalidOperationException($"The local broker did not create topic {name}: {reply}"),
        };
    }
}
