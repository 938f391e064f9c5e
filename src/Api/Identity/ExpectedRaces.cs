using Conpaas.EventStore;
using JasperFx;
using Marten;
using Marten.Services;
using Npgsql;

namespace Conpaas.Api.Identity;

/// <summary>
/// The session logger of identity writes whose lost race has an answer: a name taken a moment earlier by another
/// register becomes CONFLICT, a login that lost the user stream's version tries again. Such a failure is one debug line
/// instead of Marten's error with SQL and stack trace; every other failure still goes to Marten's own logger.
/// </summary>
public sealed class ExpectedRaces(IMartenSessionLogger marten, ILogger log) : IMartenSessionLogger
{
    // Marten reports one failure for the batch and again for its commands: the race is told once.
    private bool _told;

    public static void Quieten(IDocumentSession session, ILogger log) => session.Logger = new ExpectedRaces(session.Logger, log);

    public void LogSuccess(NpgsqlCommand command) => marten.LogSuccess(command);

    public void LogSuccess(NpgsqlBatch batch) => marten.LogSuccess(batch);

    public void LogFailure(NpgsqlCommand command, Exception ex)
    {
        if (!Expected(ex)) marten.LogFailure(command, ex);
    }

    public void LogFailure(NpgsqlBatch batch, Exception ex)
    {
        if (!Expected(ex)) marten.LogFailure(batch, ex);
    }

    public void LogFailure(Exception ex, string message)
    {
        if (!Expected(ex)) marten.LogFailure(ex, message);
    }

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit) => marten.RecordSavedChanges(session, commit);

    public void OnBeforeExecute(NpgsqlCommand command) => marten.OnBeforeExecute(command);

    public void OnBeforeExecute(NpgsqlBatch batch) => marten.OnBeforeExecute(batch);

    private bool Expected(Exception ex)
    {
        var reason = PostgresErrors.UniqueViolation(ex) is { } index ? $"unique index {index}"
            : ex is ConcurrencyException ? "a stream version"
            : null;
        if (reason is null) return false;
        if (!_told) log.LogDebug("Lost a race on {Reason}: answered or tried again", reason);
        _told = true;
        return true;
    }
}
