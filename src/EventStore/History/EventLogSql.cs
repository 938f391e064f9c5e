using System.Runtime.CompilerServices;
using Conpaas.EventStore.Users;
using Marten;

namespace Conpaas.EventStore.History;

/// <summary>
/// The SQL over Marten's tables that Marten's own API does not offer, all in one place: the live feed's reads by
/// sequence (and its gap checks), the audit history's rows joined with their stream's owner, and the session read
/// that authenticates a request in one round trip. Table names come from the store's configuration: the events
/// table's schema is <c>Events.DatabaseSchemaName</c> (Marten fixes its name, <c>mt_events</c>), and a document's
/// table is whatever Marten maps the type to.
/// </summary>
public sealed class EventLogSql
{
    /// <summary>How many events the live feed reads at a time.</summary>
    public const int FeedPage = 1000;

    private static readonly ConditionalWeakTable<IReadOnlyStoreOptions, EventLogSql> ByStore = [];

    /// <summary>The statements for this store (made once per store).</summary>
    public static EventLogSql For(IReadOnlyStoreOptions options) => ByStore.GetValue(options, o => new EventLogSql(o));

    private EventLogSql(IReadOnlyStoreOptions options)
    {
        Events = $"{options.Events.DatabaseSchemaName}.mt_events";
        Listen = $"listen {Live.NotifyOnCommit.ChannelFor(options.DatabaseSchemaName)}";
        var owners = options.FindOrResolveDocumentType(typeof(StreamOwner)).TableName.QualifiedName;
        SessionViews = options.FindOrResolveDocumentType(typeof(SessionView)).TableName.QualifiedName;
        OwnedEvents = $"{Events} e left join {owners} o on o.id = e.stream_id";
    }

    /// <summary>The event log's table, schema-qualified.</summary>
    public string Events { get; }

    /// <summary>The session documents' table, schema-qualified.</summary>
    public string SessionViews { get; }

    /// <summary>The events joined with their stream's owner (<see cref="StreamOwner"/>), as e and o.</summary>
    private string OwnedEvents { get; }

    /// <summary>
    /// The columns every owned-event read returns, in this order: seq_id, stream_id, version, type, timestamp,
    /// user_name, correlation_id, data as text, then the owner's kind, owner, application and service, then the
    /// manifest digest the event's header carries (null unless a manifest's apply appended it).
    /// </summary>
    private const string OwnedColumns =
        "e.seq_id, e.stream_id, e.version, e.type, e.timestamp, e.user_name, e.correlation_id, e.data::text, " +
        "o.data->>'kind', o.owner_id, o.application_id, o.data->>'serviceId', e.headers->>'manifestDigest'";

    // The live feed (sequence order; @after is the feed's position).

    /// <summary>Subscribes the connection to the NOTIFY every commit of events sends (<see cref="Live.NotifyOnCommit"/>).</summary>
    public string Listen { get; }

    /// <summary>The highest sequence number committed so far (0 for an empty log).</summary>
    public string LastSequence => $"select coalesce(max(seq_id), 0) from {Events}";

    /// <summary>The next page of the log after @after: owned-event columns.</summary>
    public string FeedPageAfter => $"select {OwnedColumns} from {OwnedEvents} where e.seq_id > @after order by e.seq_id limit {FeedPage}";

    /// <summary>The next page of the log after @after: sequence numbers and stored type names only.</summary>
    public string FeedPositionsAfter => $"select seq_id, type from {Events} where seq_id > @after order by seq_id limit {FeedPage}";

    /// <summary>How many events now lie between @after and @next (both excluded): whether a gap filled.</summary>
    public string EventsBetween => $"select count(*) from {Events} where seq_id > @after and seq_id < @next";

    // The audit history (owned-event columns).

    /// <summary>One stream's events after version @after, at most @limit.</summary>
    public string StreamHistory =>
        $"select {OwnedColumns} from {OwnedEvents} where e.stream_id = @stream and e.version > @after order by e.version limit @limit";

    /// <summary>The audit log: events of owned streams after sequence @after, filtered (each filter null for none), at most @limit.</summary>
    public string AuditLog => $"""
        select {OwnedColumns} from {OwnedEvents}
        where o.id is not null
          and (@visible::uuid is null or o.owner_id = @visible)
          and (@owner::uuid is null or o.owner_id = @owner)
          and (@application::uuid is null or o.application_id = @application)
          and (@types::text[] is null or e.type = any(@types))
          and (@from::timestamptz is null or e.timestamp >= @from)
          and (@to::timestamptz is null or e.timestamp <= @to)
          and e.seq_id > @after
        order by e.seq_id limit @limit
        """;

    /// <summary>The events subscription's catch-up: events of owned streams in (@after, @upTo], optionally one owner's and one stream's.</summary>
    public string OwnedRange => $"""
        select {OwnedColumns} from {OwnedEvents}
        where o.id is not null and (@visible::uuid is null or o.owner_id = @visible) and (@stream::uuid is null or e.stream_id = @stream)
          and e.seq_id > @after and e.seq_id <= @upTo
        order by e.seq_id limit @limit
        """;

    // Authentication.

    /// <summary>A where clause over User documents (d): the user of the session whose id (token hash) is the one parameter.</summary>
    public string UserOfSession => $"where d.id = (select cast(s.data ->> 'userId' as uuid) from {SessionViews} s where s.id = ?)";
}
