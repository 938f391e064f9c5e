using Conpaas.Domain;
using JasperFx;
using JasperFx.Events;
using Marten;

namespace Conpaas.EventStore.Writing;

/// <summary>Puts a <see cref="Decision"/> into a session: the target stream's events, and every other stream it moves.</summary>
public static class DecisionCommit
{
    /// <summary>
    /// Starts or appends to every stream the decision moves besides the target, and returns the target's events (for an
    /// aggregate handler to return as its Events). A refusal is thrown for the API to map. Events for one stream stay
    /// together and in order; a stream the decision begins has the aggregate type the decision declared.
    /// </summary>
    public static IReadOnlyList<object> AppendOthers(this IDocumentSession session, Guid target, Decision decision)
    {
        var mine = decision.EventsOrThrow().ToList();
        foreach (var group in decision.Others.GroupBy(o => o.StreamId))
        {
            var events = group.Select(o => o.Event).ToArray();
            if (group.Key == target) mine.AddRange(events);
            else if (group.First().Starts is { } type) session.Events.StartStream(type, group.Key, events);
            else session.Events.Append(group.Key, events);
        }

        return mine;
    }

    /// <summary><see cref="AppendOthers"/> for a stream fetched by hand (the version-checked target).</summary>
    public static void Append<T>(this IDocumentSession session, IEventStream<T> target, Decision decision) where T : class =>
        target.AppendMany(session.AppendOthers(target.Id, decision));

    /// <summary>
    /// Runs a load-decide-save attempt again when another writer won the race for the same stream version;
    /// each attempt must use a new session. Only the cloud side's hand-written sessions still need it: commands
    /// run as Wolverine handlers, whose OnException&lt;ConcurrencyException&gt; policy retries them.
    /// </summary>
    public static async Task<T> Retrying<T>(Func<Task<T>> attempt, int attempts = 10)
    {
        for (var i = 1; ; i++)
        {
            try
            {
                return await attempt();
            }
            catch (Exception ex) when (i < attempts && (ex is ConcurrencyException || PostgresErrors.IsDeadlock(ex)))
            {
                // Exponential backoff with full jitter: racing writers spread out instead of colliding again.
                await Task.Delay(Random.Shared.Next(1, 5 << Math.Min(i, 7)));
            }
        }
    }
}
