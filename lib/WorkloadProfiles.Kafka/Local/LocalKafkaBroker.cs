using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace WorkloadProfiles.Kafka.Local;

/// <summary>
/// A Kafka-protocol broker in this process: librdkafka's mock cluster, which real clients (Confluent.Kafka, Streamiz,
/// kcat) talk to over loopback TCP. It supports produce, fetch, offsets, metadata and consumer groups with commits, but
/// not CreateTopics, DeleteTopics or DescribeConfigs, so topics are created up front or through <see cref="CreateTopic"/>.
/// </summary>
/// <remarks>
/// Data lives in memory only, about 5 MiB per partition before the oldest records go: right for tests and local runs,
/// not for keeping anything.
/// </remarks>
public sealed class LocalKafkaBroker : ITopicCreator, IDisposable
{
    const int MaxTopicNameLength = 249;

    readonly ILogger _logger;
    readonly List<LoopbackForwarder> _forwarders = [];
    IntPtr _client;
    IntPtr _cluster;

    LocalKafkaBroker(ILogger logger) => _logger = logger;

    /// <summary>Bootstrap servers for clients, e.g. <c>127.0.0.1:9092</c>.</summary>
    public string BootstrapServers { get; private set; } = "";

    /// <summary>Starts a cluster and creates <see cref="LocalKafkaBrokerOptions.Topics"/> on it.</summary>
    /// <exception cref="InvalidOperationException">The cluster could not start, e.g. the port is in use.</exception>
    public static LocalKafkaBroker Start(LocalKafkaBrokerOptions? options = null, ILogger? logger = null)
    {
        options ??= new LocalKafkaBrokerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BrokerCount, 1, nameof(options.BrokerCount));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Port, nameof(options.Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Port + options.BrokerCount - 1, IPEndPoint.MaxPort, nameof(options.Port));
        RdkafkaPin.Ensure();

        var broker = new LocalKafkaBroker(logger ?? NullLogger.Instance);
        try
        {
            broker.StartCluster(options);
            return broker;
        }
        catch
        {
            broker.Dispose();
            throw;
        }
    }

    void StartCluster(LocalKafkaBrokerOptions options)
    {
        _client = NewClientHandle();
        _cluster = LibRdkafka.MockClusterNew(_client, options.BrokerCount);
        if (_cluster == IntPtr.Zero)
        {
            throw new InvalidOperationException("librdkafka could not start a mock cluster (rd_kafka_mock_cluster_new failed).");
        }

        Check(LibRdkafka.MockGroupInitialRebalanceDelayMs(_cluster, options.GroupInitialRebalanceDelayMs), "set the group rebalance delay");
        // Without a controller, admin requests wait ~60 s for one instead of answering (or failing) at once.
        Check(LibRdkafka.MockSetControllerId(_cluster, 1), "set the controller");

        var listeners = Marshal.PtrToStringUTF8(LibRdkafka.MockClusterBootstraps(_cluster))!.Split(',');
        BootstrapServers = options.Port == 0 ? string.Join(',', listeners) : ListenOnFixedPorts(listeners, options.Port);

        foreach (var topic in options.Topics)
        {
            CreateTopic(topic.Name, topic.Partitions);
        }

        _logger.LogInformation("Local Kafka broker listening on {BootstrapServers} with {TopicCount} topics", BootstrapServers, options.Topics.Count);
        _logger.LogWarning("The local broker keeps records in memory only, about 5 MiB per partition before the oldest are dropped; " +
                           "use a real Kafka cluster for anything worth keeping");
    }

    // Each broker gets a forwarder on its fixed port and advertises that port in metadata, so clients never learn the
    // random ports behind it.
    string ListenOnFixedPorts(string[] listeners, int port)
    {
        var advertised = new List<string>(listeners.Length);
        for (var i = 0; i < listeners.Length; i++)
        {
            var forwarder = LoopbackForwarder.Start(port + i, IPEndPoint.Parse(listeners[i]));
            _forwarders.Add(forwarder);
            Check(LibRdkafka.MockBrokerSetHostPort(_cluster, i + 1, "127.0.0.1", forwarder.Port), $"advertise broker {i + 1} on port {forwarder.Port}");
            advertised.Add($"127.0.0.1:{forwarder.Port}");
        }

        return string.Join(',', advertised);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The name is not a valid Kafka topic name or the partition count is below 1.</exception>
    public bool CreateTopic(string name, int partitions)
    {
        ValidateTopicName(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);

        var err = LibRdkafka.MockTopicCreate(_cluster, name, partitions, 1);
        if (err == LibRdkafka.TopicAlreadyExists)
        {
            return false;
        }

        Check(err, $"create topic {name}");
        _logger.LogDebug("Created topic {Topic} with {Partitions} partitions", name, partitions);
        return true;
    }

    /// <summary>Rejects names Kafka would reject, before they reach native code.</summary>
    public static void ValidateTopicName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > MaxTopicNameLength || name is "." or ".." || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException($"'{name}' is not a valid topic name: use 1-{MaxTopicNameLength} characters of [a-zA-Z0-9._-], not '.' or '..'.", nameof(name));
        }
    }

    static unsafe IntPtr NewClientHandle()
    {
        const int errorSize = 512;
        var error = stackalloc byte[errorSize];
        var conf = LibRdkafka.ConfNew();
        // The handle only owns the cluster; its own logging would be noise below errors.
        if (LibRdkafka.ConfSet(conf, "log_level", "3", error, errorSize) != LibRdkafka.ConfOk)
        {
            LibRdkafka.ConfDestroy(conf);
            throw new InvalidOperationException("librdkafka rejected log_level: " + Marshal.PtrToStringUTF8((IntPtr)error));
        }

        var handle = LibRdkafka.New(LibRdkafka.ProducerType, conf, error, errorSize);
        if (handle == IntPtr.Zero)
        {
            LibRdkafka.ConfDestroy(conf);
            throw new InvalidOperationException("librdkafka could not create a client handle: " + Marshal.PtrToStringUTF8((IntPtr)error));
        }

        return handle;
    }

    static void Check(int err, string action)
    {
        if (err != LibRdkafka.NoError)
        {
            throw new InvalidOperationException($"Local broker could not {action}: {LibRdkafka.Describe(err)}.");
        }
    }

    public void Dispose()
    {
        foreach (var forwarder in _forwarders)
        {
            forwarder.Dispose();
        }

        _forwarders.Clear();
        if (_cluster != IntPtr.Zero)
        {
            LibRdkafka.MockClusterDestroy(_cluster);
            _cluster = IntPtr.Zero;
        }

        if (_client != IntPtr.Zero)
        {
            LibRdkafka.Destroy(_client);
            _client = IntPtr.Zero;
        }
    }
}
