using Marten;
using Marten.Services;
using Marten.Storage;
using Microsoft.Extensions.Logging;

namespace Conpaas.EventStore.Live;

/// <summary>
/// Wakes every Director node's live feed when events commit: after a commit that appended events, a NOTIFY goes out
/// on a connection of its own. The NOTIFY is not queued inside the appending transaction: PostgreSQL holds one
/// lock per cluster from a notifying transaction's pre-commit until its commit is flushed, so every appending
/// commit would wait for the previous one's fsync (no group commit). Commits that land while a NOTIFY is on its
/// way share the next one. A NOTIFY lost to a crash between commit and send costs a feed at most its idle poll.
/// </summary>
public sealed class NotifyOnCommit(string channel, ILogger log) : DocumentSessionListenerBase
{
    private const int Idle = 0, Sending = 1, SendingAndPending = 2;
    private int _state;
    /// <summary>Whether the last NOTIFY failed: a failure is logged when it starts and when it ends, not at every commit.</summary>
    private bool _failing;

    public static string ChannelFor(string schema) => $"{schema}_events";

    public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        if (commit.GetEvents().Any()) Signal(session.Database);
        return Task.CompletedTask;
    }

    /// <summary>Asks for a NOTIFY: starts a sender when none runs, otherwise leaves one more for the running one to send.</summary>
    private void Signal(IMartenDatabase database)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == SendingAndPending) return;
            if (Interlocked.CompareExchange(ref _state, state == Idle ? Sending : SendingAndPending, state) != state) continue;
            if (state == Idle) _ = Task.Run(() => Send(database));
            return;
        }
    }

    private async Task Send(IMartenDatabase database)
    {
        do
        {
            try
            {
                await using var conn = database.CreateConnection();
                await conn.OpenAsync();
                await using var notify = conn.CreateCommand();
                notify.CommandText = $"notify {channel}";
                await notify.ExecuteNonQueryAsync();
                if (_failing) log.LogInformation("NOTIFY on {Channel} works again: live feeds are woken at each commit", channel);
                _failing = false;
            }
            catch (Exception ex)
            {
                // The database is going away or unreachable: the feeds' idle poll picks the events up, a second late.
                if (!_failing) log.LogWarning(ex, "NOTIFY on {Channel} failed: live feeds fall back to polling once a second until it works again", channel);
                else log.LogDebug("NOTIFY on {Channel} failed again: {Error}", channel, ex.Message);
                _failing = true;
            }
        }
        // Sending → Idle ends the sender; SendingAndPending → Sending sends once more for the commits that came meanwhile.
        while (Interlocked.Decrement(ref _state) > Idle);
    }
}
