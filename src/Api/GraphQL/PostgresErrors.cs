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
}
