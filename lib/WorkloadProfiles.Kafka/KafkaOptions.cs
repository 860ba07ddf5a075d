using Confluent.Kafka;
using Microsoft.Extensions.Configuration;

namespace WorkloadProfiles.Kafka;

/// <summary>
/// How processes reach Kafka: configuration section <c>Kafka</c> (environment variables <c>WP_Kafka__*</c>).
/// </summary>
public sealed class KafkaOptions
{
    /// <summary>Configuration section the options bind from.</summary>
    public const string Section = "Kafka";

    /// <summary>Default bootstrap address: the broker command on its default port.</summary>
    public const string DefaultBootstrapServers = "127.0.0.1:9092";

    /// <summary>Comma-separated <c>host:port</c> list of brokers.</summary>
    public string BootstrapServers { get; set; } = DefaultBootstrapServers;

    /// <summary>
    /// librdkafka properties passed through to every client as given (<c>Kafka:Client:security.protocol</c>,
    /// <c>WP_Kafka__Client__sasl.mechanism</c>, ...). They override what the process sets itself.
    /// </summary>
    public Dictionary<string, string> Client { get; set; } = new(StringComparer.Ordinal);

    /// <summary>librdkafka's producer default, under Kafka's default <c>max.message.bytes</c> of 1 MiB.</summary>
    public const int DefaultMaxMessageBytes = 1_000_000;

    /// <summary>
    /// The largest record (key, value and headers) any process writes: at or below the topics' <c>max.message.bytes</c>.
    /// Producers get it as <c>message.max.bytes</c>; the stream jobs and the sink bound what they produce by it (snapshots
    /// and profiles are capped below it, dead letters far below it).
    /// </summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>How long a process waits at start-up for the brokers to answer before it exits 3 (prerequisite missing).</summary>
    public double StartupTimeoutSeconds { get; set; } = BrokerReachability.DefaultTimeoutSeconds;

    /// <summary>Binds the <c>Kafka</c> section of <paramref name="configuration"/>; absent keys keep their defaults.</summary>
    public static KafkaOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<KafkaOptions>() ?? new KafkaOptions();
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            throw new InvalidOperationException($"{Section}:BootstrapServers (WP_{Section}__BootstrapServers) is empty; set it to host:port[,host:port...].");
        }

        return options;
    }

    /// <summary>Producer settings for these options.</summary>
    public ProducerConfig ToProducerConfig() => Apply(new ProducerConfig { MessageMaxBytes = MaxMessageBytes });

    /// <summary>Consumer settings for these options, in consumer group <paramref name="groupId"/>.</summary>
    public ConsumerConfig ToConsumerConfig(string groupId) => Apply(new ConsumerConfig { GroupId = groupId });

    /// <summary>Admin client settings for these options.</summary>
    public AdminClientConfig ToAdminClientConfig() => Apply(new AdminClientConfig());

    // Building any client config pins librdkafka first, so a process that configures clients this way is always pinned.
    T Apply<T>(T config) where T : ClientConfig
    {
        RdkafkaPin.Ensure();
        config.BootstrapServers = BootstrapServers;
        foreach (var (key, value) in Client)
        {
            config.Set(key, value);
        }

        return config;
    }
}
