using Conpaas.Api.GraphQL;
using Conpaas.Api.History;
using Conpaas.Api.Identity;
using Conpaas.Api.Services;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Conpaas.EventStore.History;
using GraphQL;
using GraphQL.Types;
using Marten;

namespace Conpaas.Api.Subscriptions;

/// <summary>
/// The contract's subscriptions. Each one is a filter on the node's live feed; every delivered event is checked
/// against the caller again, and a session that ends (logout, password change, expiry) ends its subscriptions.
/// </summary>
public sealed class DirectorSubscription : ObjectGraphType
{
    private static readonly TimeSpan SessionRecheck = TimeSpan.FromSeconds(10);

    public DirectorSubscription()
    {
        Name = "Subscription";

        Field<NonNullGraphType<HistoryEventType>>("events")
            .Description("Events the caller may see, from `after` (exclusive) onwards, then live, with no gap and no duplicate between the catch-up and the live part. entityId limits it to one stream.")
            .Argument<LongGraphType>("after")
            .Argument<IdGraphType>("entityId")
            .ResolveStreamAsync(async c =>
            {
                var me = c.Get<Caller>().RequireUser();
                Guid? entity = c.GetArgument<string?>("entityId") is { } id ? Ids.Parse(id, "entityId") : null;
                if (entity is { } e) await c.Get<HistoryQueries>().Stream(e, 1, null, c.CancellationToken); // NOT_FOUND unless visible
                var after = c.GetArgument<long?>("after");
                if (after < 0) throw DomainError.Invalid("after", "'after' must not be negative").ToException();
                return Live(c, ev => entity is null || ev.Event.StreamId == entity, async (ev, emit, _) =>
                {
                    emit(ev.Event);
                    return true;
                }, after, entity);
            });

        Field<NonNullGraphType<ServiceGraphType>>("serviceChanged").Description("The service after each change (state, nodes, …).")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveStreamAsync(async c =>
            {
                var service = await c.Get<Reads>().Service(Ids.Parse(c.GetArgument<string>("id"), "id"), null, c.CancellationToken);
                var loads = c.Get<SharedLoads>();
                return Live(c, ev => ev.ServiceId == service.Id, async (ev, emit, ct) =>
                {
                    var now = await loads.After<Service>(service.Id, ev.Event.Sequence, ct);
                    if (now is null) return false;
                    emit(now);
                    return !now.Removed;
                }, coalesce: true);
            });

        Field<NonNullGraphType<ApplicationGraphType>>("applicationChanged")
            .Description("The application after each change of it or of anything in it.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveStreamAsync(async c =>
            {
                var app = await c.Get<Reads>().Application(Ids.Parse(c.GetArgument<string>("id"), "id"), null, c.CancellationToken);
                var loads = c.Get<SharedLoads>();
                return Live(c, ev => ev.ApplicationId == app.Id, async (ev, emit, ct) =>
                {
                    var now = await loads.After<Application>(app.Id, ev.Event.Sequence, ct);
                    if (now is null) return false;
                    emit(now);
                    return !now.Deleted;
                }, coalesce: true);
            });

        Field<NonNullGraphType<VmGraphType>>("vmChanged").Description("VM changes of the caller (one application when given).")
            .Argument<IdGraphType>("applicationId")
            .ResolveStreamAsync(async c =>
            {
                var me = c.Get<Caller>().RequireUser();
                Guid? appId = null;
                if (c.GetArgument<string?>("applicationId") is { } id)
                    appId = (await c.Get<Reads>().Application(Ids.Parse(id, "applicationId"), null, c.CancellationToken)).Id;
                var loads = c.Get<SharedLoads>();
                // A certificate recorded on a VM's stream changes nothing vmChanged shows.
                return Live(c, ev => ev.Kind == StreamKind.Vm && ev.OwnerId == me.Id && (appId is null || ev.ApplicationId == appId)
                                     && !ev.Event.Type.StartsWith("Certificate", StringComparison.Ordinal),
                    async (ev, emit, ct) =>
                    {
                        if (await loads.After<Vm>(ev.Event.StreamId, ev.Event.Sequence, ct) is { } vm) emit(vm);
                        return true;
                    });
            });
    }

    /// <param name="wanted">Which feed events this subscription is about.</param>
    /// <param name="deliver">Emits what the event means for the subscriber; false ends the subscription.</param>
    /// <param name="after">For events: catch up from the log after this sequence before going live.</param>
    /// <param name="coalesce">For the state of one object: changes already queued are answered with one fresh state.</param>
    private static IObservable<object?> Live(IResolveFieldContext c, Func<OwnedEvent, bool> wanted,
        Func<OwnedEvent, Action<object?>, CancellationToken, Task<bool>> deliver, long? after = null, Guid? stream = null,
        bool coalesce = false)
    {
        var caller = c.Get<Caller>();
        var me = caller.RequireUser();
        var feed = c.Get<EventFeed>();
        var authenticator = c.Get<Authenticator>();
        var history = c.Get<HistoryQueries>();

        bool Visible(OwnedEvent e) => e.OwnerId is { } owner && (me.IsAdmin || owner == me.Id);
        bool AboutMySession(OwnedEvent e) => e.Kind == StreamKind.User && e.Event.StreamId == me.Id
                                             && e.Event.Type is "SessionEnded" or "PasswordChanged";

        return AsyncObservable.Create<object?>(async (emit, ct) =>
        {
            var subscriber = await feed.Subscribe(e => AboutMySession(e) || (Visible(e) && wanted(e)), ct);
            try
            {
                var last = after ?? subscriber.StartPosition;
                // Catch-up: everything up to the position the feed had when we joined it is in the log already.
                while (last < subscriber.StartPosition)
                {
                    var page = await history.Range(stream, last, subscriber.StartPosition, 500, ct);
                    if (page.Count == 0) break;
                    foreach (var e in page) emit(e);
                    last = page[^1].Sequence;
                }

                last = Math.Max(last, subscriber.StartPosition);
                while (true)
                {
                    using var recheck = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    recheck.CancelAfter(SessionRecheck);
                    bool more;
                    try
                    {
                        more = await subscriber.Reader.WaitToReadAsync(recheck.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        await EnsureSession(authenticator, caller, ct);
                        continue;
                    }

                    if (!more) break;
                    while (subscriber.Reader.TryRead(out var e))
                    {
                        if (AboutMySession(e))
                        {
                            await EnsureSession(authenticator, caller, ct);
                            if (!(Visible(e) && wanted(e))) continue;
                        }

                        if (e.Event.Sequence <= last) continue;
                        last = e.Event.Sequence;
                        if (coalesce && subscriber.Reader.TryPeek(out var next) && !AboutMySession(next)) continue;
                        if (!await deliver(e, emit, ct)) return;
                    }
                }

                await subscriber.Reader.Completion; // rethrows SubscriberTooSlowException
            }
            finally
            {
                feed.Unsubscribe(subscriber);
            }
        });
    }

    private static async Task EnsureSession(Authenticator authenticator, Caller caller, CancellationToken ct)
    {
        if (!await authenticator.StillValid(caller, ct))
            throw new DirectorError(DomainError.Unauthenticated("The session ended (logout, password change or expiry): subscribe again after logging in"));
    }
}
