using Confluent.Kafka;
using Prometheus;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using WorkloadProfiles.Kafka.Local;
using WorkloadProfiles.Kafka.Streams;
using WorkloadProfiles.Streams.Plumbing;
using WorkloadProfiles.Testing;

namespace WorkloadProfiles.Streams.Tests.Broker;

/// <summary>The pipeline topology as a real <see cref="KafkaStream"/> on the local broker, started and RUNNING.</summary>
internal static class RunningPipeline
{
    /// <summary>Starts the stream (a fresh application id and state directory named after <paramref name="prefix"/>) and waits until it runs.</summary>
    public static Task<KafkaStream> StartAsync(LocalKafkaBroker broker, StreamsJobOptions options, PipelineCodecs codecs, string prefix, TimeSpan timeout) =>
        StartAsync(broker, new PipelineTopology(options, codecs, new StreamsMetrics(Metrics.NewCustomRegistry())), prefix, timeout);

    /// <summary>Runs <paramref name="pipeline"/>, whose metrics and commit counts the caller then reads.</summary>
    public static async Task<KafkaStream> StartAsync(LocalKafkaBroker broker, PipelineTopology pipeline, string prefix, TimeSpan timeout)
    {
        var config = LocalStreamsDefaults.ApplyTo(new StreamConfig<StringSerDes, ByteArraySerDes>
        {
            ApplicationId = LocalKafkaBrokerFixture.UniqueName(prefix),
            BootstrapServers = broker.BootstrapServers,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            CommitIntervalMs = 200,
            StateDir = Path.Combine(Path.GetTempPath(), LocalKafkaBrokerFixture.UniqueName(prefix + "-state")),
        });
        var stream = new KafkaStream(pipeline.Build(), config, new LocalBrokerKafkaSupplier(config, broker));
        pipeline.Restoration.Follow(stream);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stream.StateChanged += (_, state) =>
        {
            if (state == KafkaStream.State.RUNNING) running.TrySetResult();
        };
        try
        {
            await stream.StartAsync();
            await running.Task.WaitAsync(timeout);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
