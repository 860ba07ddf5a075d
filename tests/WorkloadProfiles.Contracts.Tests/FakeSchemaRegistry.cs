using System.Net;
using System.Reflection;
using Confluent.SchemaRegistry;
using RegistrySchema = Confluent.SchemaRegistry.Schema;

namespace WorkloadProfiles.Contracts.Tests;

/// <summary>
/// An in-memory stand-in for a Confluent Schema Registry (no registry server runs here). Implements the three calls the
/// codec makes; any other call fails the test loudly.
/// </summary>
public class FakeSchemaRegistry : DispatchProxy
{
    private readonly Dictionary<int, RegistrySchema> _byId = [];
    private readonly Dictionary<(string Subject, string Schema), int> _ids = [];
    private int _nextId = 100;

    public List<string> Calls { get; } = [];

    /// <summary>When set, every call fails with it (a registry outage).</summary>
    public Exception? Outage { get; set; }

    public ISchemaRegistryClient Client { get; private set; } = null!;

    public static FakeSchemaRegistry Create()
    {
        var client = Create<ISchemaRegistryClient, FakeSchemaRegistry>();
        var fake = (FakeSchemaRegistry)(object)client;
        fake.Client = client;
        return fake;
    }

    public int Register(string subject, string schema)
    {
        if (_ids.TryGetValue((subject, schema), out var id)) return id;
        id = _nextId++;
        _ids[(subject, schema)] = id;
        _byId[id] = new RegistrySchema(schema, SchemaType.Avro);
        return id;
    }

    public IReadOnlyCollection<(string Subject, string Schema)> Registrations => _ids.Keys;

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var name = targetMethod!.Name;
        Calls.Add(name);
        if (name == nameof(IDisposable.Dispose)) return null;
        try
        {
            if (Outage is not null) throw Outage;
            return (name, args![0], args.Length > 1 ? args[1] : null) switch
            {
                ("RegisterSchemaAsync", string subject, RegistrySchema schema) => Task.FromResult(Register(subject, schema.SchemaString)),
                ("GetSchemaIdAsync", string subject, RegistrySchema schema) => _ids.TryGetValue((subject, schema.SchemaString), out var id)
                    ? Task.FromResult(id)
                    : throw new SchemaRegistryException("Schema not found", HttpStatusCode.NotFound, 40403),
                ("GetSchemaAsync", int id, _) => _byId.TryGetValue(id, out var schema)
                    ? Task.FromResult(schema)
                    : throw new SchemaRegistryException("Schema not found", HttpStatusCode.NotFound, 40403),
                _ => throw new NotSupportedException($"FakeSchemaRegistry does not implement {name}"),
            };
        }
        catch (Exception ex) when (ex is not NotSupportedException)
        {
            // Async methods fail through their task, as the real client's do.
            var failed = typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!
                .MakeGenericMethod(targetMethod.ReturnType.GetGenericArguments()[0]);
            return failed.Invoke(null, [ex]);
        }
    }
}
