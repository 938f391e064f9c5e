using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Users;
using Conpaas.Domain.Vms;
using JasperFx;
using JasperFx.Events;
using Marten;

namespace Conpaas.EventStore.Writing;

/// <summary>Puts a <see cref="Decision"/> into a session: the target stream (version-checked) and every other stream it moves.</summary>
public static class DecisionCommit
{
    public static void Append<T>(this IDocumentSession session, IEventStream<T> target, Decision decision) where T : class
    {
        if (decision.Error is { } error) throw error.ToException();
        target.AppendMany(decision.Events);
        // Events for one stream stay together and in order; a stream's first event decides its aggregate type.
        foreach (var group in decision.Others.GroupBy(o => o.StreamId))
        {
            var events = group.Select(o => o.Event).ToArray();
            if (group.Key == target.Id) target.AppendMany(events);
            else if (StreamTypeOf(events[0]) is { } type) session.Events.StartStream(type, group.Key, events);
            else session.Events.Append(group.Key, events);
        }
    }

    /// <summary>PostgreSQL broke a lock cycle between two writers by aborting this one: it may simply run again.</summary>
    private static bool IsDeadlock(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.DeadlockDetected }) return true;
        return false;
    }

    private static Type? StreamTypeOf(object first) => first switch
    {
        UserRegistered => typeof(User),
        ApplicationCreated => typeof(Application),
        ServiceAdded => typeof(Service),
        VmRequested => typeof(Vm),
        _ => null,
    };

    /// <summary>
    /// Runs a load-decide-save attempt again when another writer won the race for the same stream version;
    /// each attempt must use a new session.
    /// </summary>
    public static async Task<T> Retrying<T>(Func<Task<T>> attempt, int attempts = 10)
    {
        for (var i = 1; ; i++)
        {
            try
            {
                return await attempt();
            }
            catch (Exception ex) when (i < attempts && (ex is ConcurrencyException || IsDeadlock(ex)))
            {
                // Exponential backoff with full jitter: racing writers spread out instead of colliding again.
                await Task.Delay(Random.Shared.Next(1, 5 << Math.Min(i, 7)));
            }
        }
    }
}
