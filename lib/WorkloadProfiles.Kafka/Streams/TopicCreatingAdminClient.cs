using System.Reflection;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using WorkloadProfiles.Contracts;
using WorkloadProfiles.Kafka.Local;

namespace WorkloadProfiles.Kafka.Streams;

/// <summary>
/// An <see cref="IAdminClient"/> that forwards every call to a real admin client except <c>CreateTopicsAsync</c>, which it
/// serves with an <see cref="ITopicCreator"/>. A proxy rather than a hand-written decorator: IAdminClient has dozens of
/// members and only one differs.
/// </summary>
public class TopicCreatingAdminClient : DispatchProxy
{
    IAdminClient _inner = null!;
    ITopicCreator _topics = null!;

    /// <summary>Wraps <paramref name="inner"/>; disposing the wrapper disposes it.</summary>
    public static IAdminClient Wrap(IAdminClient inner, ITopicCreator topics)
    {
        var proxy = Create<IAdminClient, TopicCreatingAdminClient>();
        var self = (TopicCreatingAdminClient)(object)proxy;
        self._inner = inner;
        self._topics = topics;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IAdminClient.CreateTopicsAsync))
        {
            return CreateTopics((IEnumerable<TopicSpecification>)args![0]!);
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    // An existing topic counts as success, as Streamiz checks metadata first and only asks for missing topics; a failure
    // surfaces through the returned task like a broker's error would.
    Task CreateTopics(IEnumerable<TopicSpecification> specifications)
    {
        try
        {
            foreach (var specification in specifications)
            {
                _topics.CreateTopic(specification.Name, specification.NumPartitions > 0 ? specification.NumPartitions : Topics.DefaultPartitions);
            }

            return Task.CompletedTask;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return Task.FromException(e);
        }
    }
}
