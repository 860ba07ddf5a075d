using System.Collections.Concurrent;
using Confluent.SchemaRegistry;

namespace WorkloadProfiles.Contracts;

/// <summary>
/// Hands out one <see cref="AvroCodec{T}"/> per topic, all with the same options and schema registry client.
/// <code>
/// using var codecs = new AvroCodecs(options);
/// byte[] value = codecs.For&lt;RawEventBatch&gt;().Serialize(batch);     // topic wp.events.raw
/// </code>
/// </summary>
public sealed class AvroCodecs : IDisposable
{
    private readonly ConcurrentDictionary<string, object> _codecs = new(StringComparer.Ordinal);
    private readonly CachedSchemaRegistryClient? _ownedRegistry;

    /// <param name="registry">A registry client to use; when null and <see cref="AvroCodecOptions.SchemaRegistryUrl"/> is set,
    /// a <see cref="CachedSchemaRegistryClient"/> is created (and disposed with this catalogue).</param>
    public AvroCodecs(AvroCodecOptions? options = null, ISchemaRegistryClient? registry = null)
    {
        Options = options ?? AvroCodecOptions.Default;
        if (registry is null && !string.IsNullOrWhiteSpace(Options.SchemaRegistryUrl))
        {
            _ownedRegistry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = Options.SchemaRegistryUrl });
            registry = _ownedRegistry;
        }
        Registry = registry;
    }

    /// <summary>Single-object encoding, default limits: what tests and a registry-less deployment use.</summary>
    public static AvroCodecs Default { get; } = new();

    public AvroCodecOptions Options { get; }

    public ISchemaRegistryClient? Registry { get; }

    /// <summary>The codec of the pipeline topic that carries <typeparamref name="T"/> (see <see cref="Topics"/>).</summary>
    public IAvroCodec<T> For<T>() where T : class => For<T>(Topics.Of<T>().Name);

    /// <summary>The codec of <typeparamref name="T"/> values on <paramref name="topic"/> (the registry subject is <c>&lt;topic&gt;-value</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="topic"/> is a pipeline topic of another type, or T has no contract.</exception>
    public IAvroCodec<T> For<T>(string topic) where T : class
    {
        var known = Topics.All.FirstOrDefault(t => t.Name == topic);
        if (known is not null && known.ValueType != typeof(T))
        {
            throw new ArgumentException($"Topic {topic} carries {known.ValueType.Name}, not {typeof(T).Name}", nameof(topic));
        }
        var codec = _codecs.GetOrAdd(topic, static (name, self) => new AvroCodec<T>(AvroContracts.Of<T>(), name, self.Options, self.Registry), this);
        return codec as IAvroCodec<T> ?? throw new ArgumentException($"Topic {topic} already has a codec of {codec.GetType().GenericTypeArguments[0].Name}", nameof(topic));
    }

    public void Dispose() => _ownedRegistry?.Dispose();
}
