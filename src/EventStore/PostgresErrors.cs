using Npgsql;

namespace Conpaas.EventStore;

/// <summary>The one place that reads PostgreSQL's error codes out of an exception (Marten and Wolverine wrap them).</summary>
public static class PostgresErrors
{
    /// <summary>The unique index a write ran into ("" when PostgreSQL did not name it), or null.</summary>
    public static string? UniqueViolation(Exception ex) =>
        Find(ex) is { SqlState: PostgresErrorCodes.UniqueViolation } pg ? pg.ConstraintName ?? "" : null;

    /// <summary>A unique index refused the write: someone else took the name first.</summary>
    public static bool IsUniqueViolation(Exception ex) => UniqueViolation(ex) is not null;

    /// <summary>PostgreSQL broke a lock cycle between two writers by aborting this one: it may simply run again.</summary>
    public static bool IsDeadlock(Exception ex) => Find(ex) is { SqlState: PostgresErrorCodes.DeadlockDetected };

    /// <summary>
    /// The database cannot be reached (refused, reset, timed out, shutting down, out of connections): the request may
    /// succeed later, so it is SERVICE_UNAVAILABLE, not an internal error.
    /// </summary>
    public static bool IsDatabaseUnavailable(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException p:
                    return p.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || p.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections;
                case NpgsqlException n:
                    return n.IsTransient;
            }
        }

        return false;
    }

    private static PostgresException? Find(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is PostgresException pg) return pg;
        return null;
    }
}
