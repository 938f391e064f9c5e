using Npgsql;

namespace Conpaas.Api.GraphQL;

public static class Errors
{
    /// <summary>A unique index refused the write: someone else took the name first.</summary>
    public static bool IsUniqueViolation(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }) return true;
        return false;
    }

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
}
