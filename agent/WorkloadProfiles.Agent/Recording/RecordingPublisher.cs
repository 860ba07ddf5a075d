using WorkloadProfiles.Agent.Publishing;
using WorkloadProfiles.Contracts.Recordings;
using WorkloadProfiles.Domain.Events;

namespace WorkloadProfiles.Agent.Recording;

/// <summary>`agent record`: writes batches to an Avro object container file instead of Kafka. Container records
/// are not part of a recording (replay derives nothing from them; batches carry image name and tag).</summary>
internal sealed class RecordingPublisher : IEventPublisher
{
    private readonly Lock _gate = new();
    private readonly RecordingWriter _writer;

    public RecordingPublisher(string path)
    {
        _writer = new RecordingWriter(File.Create(path));
    }

    public long BatchesWritten
    {
        get { lock (_gate) return _writer.BatchesWritten; }
    }

    public void Publish(RawEventBatch batch)
    {
        lock (_gate) _writer.Write(batch);
    }

    public void Publish(ContainerInfo container)
    {
    }

    public Task FlushAsync(CancellationToken cancellationToken)
    {
        lock (_gate) _writer.Flush();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate) _writer.Dispose();
        return ValueTask.CompletedTask;
    }
}
