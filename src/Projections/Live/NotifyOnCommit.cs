using Marten;
using Marten.Services;

namespace Conpaas.Projections.Live;

/// <summary>
/// Wakes every Director node's live feed when events commit: a NOTIFY queued inside the transaction is
/// delivered by PostgreSQL at commit, and only if it commits.
/// </summary>
public sealed class NotifyOnCommit(string channel) : IDocumentSessionListener
{
    public static string ChannelFor(string schema) => $"{schema}_events";

    public Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (session.PendingChanges.Streams().Any(s => s.Events.Count > 0))
            session.QueueSqlCommand($"select pg_notify('{channel}', '')");
        return Task.CompletedTask;
    }

    public Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token) => Task.CompletedTask;

    public void DocumentLoaded(object id, object document)
    {
    }

    public void DocumentAddedForStorage(object id, object document)
    {
    }
}
