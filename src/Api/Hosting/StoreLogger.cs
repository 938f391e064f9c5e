using JasperFx;
using Marten;
using Marten.Services;
using Npgsql;

namespace Conpaas.Api.Hosting;

/// <summary>
/// Marten's command log. A write that lost an expected race (another writer took the stream version, a unique name
/// was taken first, PostgreSQL broke a deadlock) is retried or answered CONFLICT by its caller: one debug line, not
/// an error with the SQL and a stack trace. Any other failure is still an error with its SQL.
/// </summary>
public sealed class StoreLogger(ILogger<IDocumentStore> log) : IMartenLogger, IMartenSessionLogger
{
    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    public void SchemaChange(string sql) => log.LogInformation("Executed schema update SQL:\n{SQL}", sql);

    public void OnBeforeExecute(NpgsqlCommand command)
    {
    }

    public void OnBeforeExecute(NpgsqlBatch batch)
    {
    }

    public void LogSuccess(NpgsqlCommand command) => log.LogDebug("{SQL}", command.CommandText);

    public void LogSuccess(NpgsqlBatch batch) => log.LogDebug("{SQL}", Sql(batch));

    public void LogFailure(NpgsqlCommand command, Exception ex) => Failure(ex, command.CommandText);

    public void LogFailure(NpgsqlBatch batch, Exception ex) => Failure(ex, Sql(batch));

    public void LogFailure(Exception ex, string message) => Failure(ex, message);

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
    {
    }

    private void Failure(Exception ex, string sql)
    {
        if (ExpectedRace(ex) is { } race) log.LogDebug("A write lost a race and is retried or refused: {Race}", race);
        else log.LogError(ex, "Marten encountered an exception executing\n{SQL}", sql);
    }

    /// <summary>What the race was, in one line; null for any other failure.</summary>
    public static string? ExpectedRace(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            switch (e)
            {
                case ConcurrencyException:
                case PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure }:
                    return $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
            }

        return null;
    }

    private static string Sql(NpgsqlBatch batch) => string.Join(";\n", batch.BatchCommands.Select((NpgsqlBatchCommand c) => c.CommandText));
}
