using Confluent.Kafka;
using Streamiz.Kafka.Net.Processors.Public;

namespace WorkloadProfiles.Streams.Plumbing;

/// <summary>A processor that can skip a record whose processing threw (by dead-lettering it) instead of failing its task.</summary>
internal interface ISkipsFailedRecords<K, V>
{
    void Skip(Record<K, V> record, Exception exception);
}

/// <summary>Which exceptions a processor may swallow after dead-lettering the record: its own, never the framework's.</summary>
internal static class TaskGuard
{
    /// <summary>
    /// True for exceptions thrown by the job's code on bad input. Streamiz' own exceptions (a migrated task, a failed
    /// produce, a closed store) and Kafka errors must reach Streamiz, which rebalances or stops the thread as designed.
    /// </summary>
    public static bool IsOurs(Exception e) =>
        e is not (OutOfMemoryException or KafkaException or OperationCanceledException or ObjectDisposedException)
        && e.GetType().Namespace?.StartsWith("Streamiz.", StringComparison.Ordinal) != true;
}

/// <summary>
/// Lets a topology hand Streamiz a factory rather than a type: Streamiz instantiates transformers by reflection (a
/// parameterless constructor once at build time, then one instance per task from the recorded parameters), which would
/// otherwise force every processor to have a half-initialised parameterless constructor.
/// </summary>
internal sealed class TaskTransformer<K, V, K1, V1> : ITransformer<K, V, K1, V1>
{
    readonly ITransformer<K, V, K1, V1>? _inner;

    /// <summary>Used only by Streamiz' builder to record the type; never processes records.</summary>
    public TaskTransformer()
    {
    }

    public TaskTransformer(Func<ITransformer<K, V, K1, V1>> factory) => _inner = factory();

    ITransformer<K, V, K1, V1> Inner =>
        _inner ?? throw new InvalidOperationException("This transformer instance was created without a factory.");

    public static TransformerSupplier<K, V, K1, V1> Supplier(Func<ITransformer<K, V, K1, V1>> factory, Streamiz.Kafka.Net.State.IStoreBuilder? store = null)
    {
        var builder = TransformerBuilder.New<K, V, K1, V1>().Transformer<TaskTransformer<K, V, K1, V1>>(factory);
        if (store is not null)
        {
            builder = builder.StateStore(store);
        }

        return builder.Build();
    }

    public void Init(ProcessorContext<K1, V1> context) => Inner.Init(context);

    /// <summary>A record whose processing throws is skipped (dead-lettered by the processor) rather than failing the task,
    /// whose restart would meet the same record again: no input can stop the pipeline.</summary>
    public Record<K1, V1> Process(Record<K, V> record)
    {
        try
        {
            return Inner.Process(record);
        }
        catch (Exception e) when (Inner is ISkipsFailedRecords<K, V> skipping && TaskGuard.IsOurs(e))
        {
            skipping.Skip(record, e);
            return null!;
        }
    }

    public void Close() => Inner.Close();
}

/// <summary>The <see cref="IProcessor{K,V}"/> counterpart of <see cref="TaskTransformer{K,V,K1,V1}"/>.</summary>
internal sealed class TaskProcessor<K, V> : IProcessor<K, V>
{
    readonly IProcessor<K, V>? _inner;

    /// <summary>Used only by Streamiz' builder to record the type; never processes records.</summary>
    public TaskProcessor()
    {
    }

    public TaskProcessor(Func<IProcessor<K, V>> factory) => _inner = factory();

    IProcessor<K, V> Inner =>
        _inner ?? throw new InvalidOperationException("This processor instance was created without a factory.");

    public static ProcessorSupplier<K, V> Supplier(Func<IProcessor<K, V>> factory) =>
        ProcessorBuilder.New<K, V>().Processor<TaskProcessor<K, V>>(factory).Build();

    public void Init(ProcessorContext<K, V> context) => Inner.Init(context);

    public void Process(Record<K, V> record)
    {
        try
        {
            Inner.Process(record);
        }
        catch (Exception e) when (Inner is ISkipsFailedRecords<K, V> skipping && TaskGuard.IsOurs(e))
        {
            skipping.Skip(record, e);
        }
    }

    public void Close() => Inner.Close();
}
