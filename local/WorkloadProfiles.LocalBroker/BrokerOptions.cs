using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.LocalBroker;

/// <summary>Configuration section <c>Broker</c> (environment variables <c>WP_Broker__*</c>).</summary>
internal sealed class BrokerOptions
{
    public const string Section = "Broker";
    public const int DefaultPort = 9092;

    /// <summary>Loopback port Kafka clients connect to.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>Loopback port of the topic-creation control channel; 0 means <see cref="Port"/> + 1000.</summary>
    public int ControlPort { get; set; }

    /// <summary>Milliseconds a new consumer group waits for more members before its first assignment.</summary>
    public int GroupInitialRebalanceDelayMs { get; set; }

    public int EffectiveControlPort => ControlPort != 0 ? ControlPort : Port + BrokerControlProtocol.DefaultPortOffset;

    public void Validate()
    {
        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"{Section}:Port must be a port number (1-65535), got {Port}.");
        }

        if (EffectiveControlPort is < 1 or > 65535 || EffectiveControlPort == Port)
        {
            throw new ArgumentException($"{Section}:ControlPort must be a port number (1-65535) other than {Section}:Port, got {EffectiveControlPort}.");
        }

        if (GroupInitialRebalanceDelayMs < 0)
        {
            throw new ArgumentException($"{Section}:GroupInitialRebalanceDelayMs must not be negative, got {GroupInitialRebalanceDelayMs}.");
        }
    }
}
