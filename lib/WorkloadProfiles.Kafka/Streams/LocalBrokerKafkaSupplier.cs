using Confluent.Kafka;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.Kafka;
using Streamiz.Kafka.Net.Metrics;
using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.Kafka.Streams;

/// <summary>
/// Streamiz client supplier for the local broker: real clients throughout, except that the admin client's CreateTopics
/// (Streamiz' repartition and changelog topics) goes to an <see cref="ITopicCreator"/>, because the mock cluster does not
/// implement that request.
/// </summary>
public sealed class LocalBrokerKafkaSupplier : IKafkaSupplier
{
    readonly DefaultKafkaClientSupplier _inner;
    readonly ITopicCreator _topics;

    /// <param name="config">The stream's configuration (used for client logging, as Streamiz' default supplier does).</param>
    /// <param name="topics">
    /// Where internal topics are created: the <see cref="LocalKafkaBroker"/> itself in-process, or a
    /// <see cref="BrokerControlClient"/> for the broker command.
    /// </param>
    public LocalBrokerKafkaSupplier(IStreamConfig config, ITopicCreator topics)
    {
        RdkafkaPin.Ensure();
        _inner = new DefaultKafkaClientSupplier(new KafkaLoggerAdapter(config), config);
        _topics = topics;
    }

    public StreamMetricsRegistry MetricsRegistry
    {
        get => _inner.MetricsRegistry;
        set => _inner.MetricsRegistry = value;
    }

    public IAdminClient GetAdmin(AdminClientConfig config) => TopicCreatingAdminClient.Wrap(_inner.GetAdmin(config), _topics);

    public IConsumer<byte[], byte[]> GetConsumer(ConsumerConfig config, IConsumerRebalanceListener rebalanceListener) =>
        _inner.GetConsumer(config, rebalanceListener);

    public IConsumer<byte[], byte[]> GetGlobalConsumer(ConsumerConfig config) => _inner.GetGlobalConsumer(config);

    public IProducer<byte[], byte[]> GetProducer(ProducerConfig config) => _inner.GetProducer(config);

    public IConsumer<byte[], byte[]> GetRestoreConsumer(ConsumerConfig config) => _inner.GetRestoreConsumer(config);
}
