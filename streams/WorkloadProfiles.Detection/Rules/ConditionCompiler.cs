using System.Linq.Expressions;
using DynamicExpresso;
using DynamicExpresso.Exceptions;

namespace WorkloadProfiles.Detection.Rules;

/// <summary>A compiled rule condition. Every rule gets all field groups; the compiler rejects groups its event kind lacks.</summary>
internal delegate bool Condition(
    ProcessFields process, FileFields file, DnsFields dns, DestinationFields destination,
    NetworkFields network, ContainerFields container, UserFields user, HostFields host);

/// <summary>
/// Compiles rule conditions with DynamicExpresso into delegates, once per rule at load time: evaluation is then a plain
/// delegate call over <see cref="EventFields"/>, never interpretation per event.
/// </summary>
internal sealed class ConditionCompiler
{
    private static readonly Parameter[] Parameters =
    [
        new("process", typeof(ProcessFields)),
        new("file", typeof(FileFields)),
        new("dns", typeof(DnsFields)),
        new("destination", typeof(DestinationFields)),
        new("network", typeof(NetworkFields)),
        new("container", typeof(ContainerFields)),
        new("user", typeof(UserFields)),
        new("host", typeof(HostFields)),
    ];

    private static readonly string[] Common = ["process", "container", "user", "host"];

    /// <summary>The field groups each event kind provides; reading another group is a load error, not an always-empty value.</summary>
    internal static IReadOnlyList<string> FieldGroups(RuleEvent kind) => kind switch
    {
        RuleEvent.Exec => Common,
        RuleEvent.Open => [.. Common, "file"],
        RuleEvent.Dns => [.. Common, "dns", "destination", "network"],
        RuleEvent.Connect => [.. Common, "destination", "network"],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    internal static bool IsReservedName(string name) => Array.Exists(Parameters, p => p.Name == name);

    private readonly Interpreter _interpreter;

    /// <param name="lists">Named string lists of the rule file, visible to conditions as variables.</param>
    public ConditionCompiler(IReadOnlyDictionary<string, string[]> lists)
    {
        // No EnableReflection/assignment: conditions can read fields and call the referenced helpers, nothing else.
        _interpreter = new Interpreter(InterpreterOptions.Default).Reference(typeof(ConditionFunctions));
        _interpreter.Visitors.Add(new ConstantArrayFolding());
        foreach (var (name, values) in lists) _interpreter.SetVariable<string[]>(name, values);
    }

    /// <summary>Compiles <paramref name="condition"/>; on failure returns null and a message that names the problem.</summary>
    /// <param name="reads">The field groups the condition reads (e.g. <c>file</c>, <c>process</c>).</param>
    public Condition? Compile(string condition, RuleEvent kind, out string? error, out IReadOnlyList<string> reads)
    {
        reads = [];
        Lambda lambda;
        try
        {
            lambda = _interpreter.Parse(condition, typeof(bool), Parameters);
        }
        catch (ParseException e)
        {
            error = $"condition does not compile: {e.Message} in `{condition}`";
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException)
        {
            error = $"condition does not compile: {e.Message} in `{condition}`";
            return null;
        }

        var allowed = FieldGroups(kind);
        var unavailable = lambda.UsedParameters.Select(p => p.Name).Where(n => !allowed.Contains(n)).ToList();
        if (unavailable.Count > 0)
        {
            error = $"condition uses {string.Join(", ", unavailable.Select(n => $"'{n}.*'"))}, which {kind.ToString().ToLowerInvariant()} " +
                    $"events do not have (available: {string.Join(", ", allowed)})";
            return null;
        }

        error = null;
        reads = [.. lambda.UsedParameters.Select(p => p.Name)];
        return lambda.Compile<Condition>();
    }
}

/// <summary>
/// Turns <c>new[] { "a", "b" }</c> built from constants (the params array of <c>x.In("a", "b")</c>) into one constant array,
/// so a condition allocates nothing per evaluation. Safe because the helpers never write to their arguments.
/// </summary>
internal sealed class ConstantArrayFolding : ExpressionVisitor
{
    protected override Expression VisitNewArray(NewArrayExpression node)
    {
        var visited = (NewArrayExpression)base.VisitNewArray(node);
        if (visited.NodeType != ExpressionType.NewArrayInit || !visited.Expressions.All(e => e is ConstantExpression)) return visited;

        var array = Array.CreateInstance(visited.Type.GetElementType()!, visited.Expressions.Count);
        for (var i = 0; i < array.Length; i++) array.SetValue(((ConstantExpression)visited.Expressions[i]).Value, i);
        return Expression.Constant(array, visited.Type);
    }
}
