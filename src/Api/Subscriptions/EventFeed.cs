using System.Threading.Channels;
using Conpaas.Api.History;
using Conpaas.EventStore.History;
using Marten;
using Npgsql;

namespace Conpaas.Api.Subscriptions;

/// <summary>One subscriber's view of the feed: the events it wants, buffered up to a bound.</summary>
public sealed class FeedSubscriber(Func<OwnedEvent, bool> filter, int capacity, long startPosition)
{
    private readonly Channel<OwnedEvent> _channel = Channel.CreateBounded<OwnedEvent>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });

    /// <summary>Every event after this position reaches the subscriber; the ones up to it are in the store already.</summary>
    public long StartPosition { get; } = startPosition;
    public ChannelReader<OwnedEvent> Reader => _channel.Reader;

    internal void Offer(OwnedEvent e)
    {
        // A subscriber that cannot keep up is ended instead of holding up the feed (and everyone else on it).
        if (filter(e) && !_channel.Writer.TryWrite(e))
            _channel.Writer.TryComplete(new SubscriberTooSlowException());
    }
}

public sealed class SubscriberTooSlowException() : Exception("The subscriber fell too far behind the live feed and was ended");

/// <summary>
/// The live feed of one Director node: woken by the NOTIFY that every commit sends (so a change made on any node
/// reaches the subscribers of every node), it reads new events from the log in sequence order and hands each to
/// the subscribers that want it. A gap in the sequence is waited for until every transaction that could still
/// fill it has ended, so no event is skipped while another transaction is still committing.
/// </summary>
public sealed class EventFeed(IDocumentStore store, ILogger<EventFeed> log) : BackgroundService
{
    public const int DefaultCapacity = 10_000;
    private const string Tombstone = "tombstone";
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1), GapPoll = TimeSpan.FromMilliseconds(20),
        GapLimit = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly List<FeedSubscriber> _subscribers = [];
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _position;
    private (long Sequence, DateTime SeenAt, DateTimeOffset Since)? _gap;

    /// <summary>
    /// Registers a subscriber; from then on it receives every matching event after <see cref="FeedSubscriber.StartPosition"/>.
    /// The feed learns of a commit a moment after it (the NOTIFY follows the commit), so it first catches up with
    /// everything committed before this call: an event the caller saw committed (its own login, say) is never
    /// handed to it as news. A gap that does not close within <see cref="CatchUpLimit"/> is not waited for.
    /// </summary>
    public async Task<FeedSubscriber> Subscribe(Func<OwnedEvent, bool> filter, CancellationToken ct, int capacity = DefaultCapacity)
    {
        await _started.Task.WaitAsync(ct);
        await CatchUp(await LastCommitted(ct), ct);
        lock (_gate)
        {
            var subscriber = new FeedSubscriber(filter, capacity, _position);
            _subscribers.Add(subscriber);
            return subscriber;
        }
    }

    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(2);
    private TaskCompletionSource _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task<long> LastCommitted(CancellationToken ct)
    {
        await using var conn = store.Storage.Database.CreateConnection();
        await conn.OpenAsync(ct);
        return await LastCommitted(conn, ct);
    }

    private async Task<long> LastCommitted(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var max = new NpgsqlCommand(Sql.LastSequence, conn);
        return (long)(await max.ExecuteScalarAsync(ct))!;
    }

    private async Task CatchUp(long target, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + CatchUpLimit;
        while (true)
        {
            var moved = Volatile.Read(ref _moved).Task;
            var left = deadline - DateTime.UtcNow;
            if (Interlocked.Read(ref _position) >= target || left <= TimeSpan.Zero) return;
            try
            {
                await moved.WaitAsync(left, ct);
            }
            catch (TimeoutException)
            {
                return;
            }
        }
    }

    /// <summary>Wakes the subscribers waiting in <see cref="CatchUp"/> after the position moved.</summary>
    private void Moved() => Interlocked.Exchange(ref _moved, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public void Unsubscribe(FeedSubscriber subscriber)
    {
        lock (_gate) _subscribers.Remove(subscriber);
    }

    public int SubscriberCount
    {
        get { lock (_gate) return _subscribers.Count; }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Run(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(ex, "The live feed lost its database connection; reconnecting");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task Run(CancellationToken ct)
    {
        await using var conn = store.Storage.Database.CreateConnection();
        await conn.OpenAsync(ct);
        // Every read of the feed is a short range at the end of the log, by seq_id. While the log grows faster than
        // autovacuum analyzes it (a fresh database, a burst), the planner takes "seq_id > $1" for a third of the
        // table and scans and sorts all of it on every poll: measured with pg_stat_statements during P1, 254 blocks
        // and 546 µs per poll on a 5,000-event log, growing with it. The primary key always serves these reads.
        await using (var plans = new NpgsqlCommand("set enable_seqscan = off", conn)) await plans.ExecuteNonQueryAsync(ct);
        if (!_started.Task.IsCompleted) _position = await LastCommitted(conn, ct);

        await using (var listen = new NpgsqlCommand(Sql.Listen, conn)) await listen.ExecuteNonQueryAsync(ct);
        _started.TrySetResult();
        while (!ct.IsCancellationRequested)
        {
            await Poll(conn, ct);
            Moved();
            await conn.WaitAsync(_gap is null ? IdlePoll : GapPoll, ct);
        }
    }

    private async Task Poll(NpgsqlConnection conn, CancellationToken ct)
    {
        while (true)
        {
            // With nobody subscribed the feed only keeps its place: numbers and types, no data, no owners.
            bool light;
            lock (_gate) light = _subscribers.Count == 0;
            var rows = light ? await Positions(conn, ct) : (await EventRows.Read(conn, Sql.FeedPageAfter, ct, ("after", _position))).Select(r => (r.Event.Sequence, r.Event.Type, (OwnedEvent?)r)).ToList();
            var joined = false;
            foreach (var (sequence, type, row) in rows)
            {
                if (sequence != _position + 1 && !await GapIsPermanent(conn, sequence, ct)) return;
                _gap = null;
                lock (_gate)
                {
                    // Someone subscribed during a light read: read again in full from here.
                    if (row is null && _subscribers.Count > 0)
                    {
                        joined = true;
                        break;
                    }

                    _position = sequence;
                    // Marten's tombstones only fill numbers burnt by failed appends: nothing happened there.
                    if (type == Tombstone || row is null) continue;
                    foreach (var subscriber in _subscribers) subscriber.Offer(row);
                }
            }

            if (!joined && rows.Count < EventLogSql.FeedPage) return;
        }
    }

    private async Task<List<(long Sequence, string Type, OwnedEvent? Row)>> Positions(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Sql.FeedPositionsAfter, conn);
        cmd.Parameters.AddWithValue("after", _position);
        var rows = new List<(long, string, OwnedEvent?)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add((reader.GetInt64(0), reader.GetString(1), null));
        return rows;
    }

    /// <summary>
    /// A missing sequence number is either still being committed or was burnt by a transaction that rolled back.
    /// It is taken as burnt once every transaction of this database that had begun when the gap was first seen
    /// has ended: the one holding the number, if it is still alive, is among them (with or without an XID yet).
    /// </summary>
    private async Task<bool> GapIsPermanent(NpgsqlConnection conn, long next, CancellationToken ct)
    {
        if (_gap is not { } gap || gap.Sequence != next)
        {
            await using var now = new NpgsqlCommand("select clock_timestamp()", conn);
            _gap = (next, (DateTime)(await now.ExecuteScalarAsync(ct))!, DateTimeOffset.UtcNow);
            return false;
        }

        await using var check = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and xact_start <= @seen",
            conn);
        check.Parameters.AddWithValue("seen", gap.SeenAt);
        var stillRunning = (long)(await check.ExecuteScalarAsync(ct))! > 0;
        if (stillRunning && DateTimeOffset.UtcNow - gap.Since < GapLimit) return false;
        if (stillRunning) log.LogWarning("Sequence gap before {Sequence} still open after {Limit}; moving on", next, GapLimit);

        // Read once more: the transaction may have committed between the read and the check.
        await using var again = new NpgsqlCommand(Sql.EventsBetween, conn);
        again.Parameters.AddWithValue("after", _position);
        again.Parameters.AddWithValue("next", next);
        return (long)(await again.ExecuteScalarAsync(ct))! == 0;
    }

    private EventLogSql Sql => EventLogSql.For(store.Options);
}
