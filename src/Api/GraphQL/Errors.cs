using Conpaas.Domain;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Validation;
using JasperFx;

namespace Conpaas.Api.GraphQL;

/// <summary>A refusal on its way to the client, carrying the contract's code.</summary>
public sealed class DirectorError(DomainError error) : ExecutionError(error.Message)
{
    public DomainError Error { get; } = error;
}

/// <summary>
/// The request could not be served now and may succeed later: the database is unreachable, or the execution deadline
/// (GraphQL:ExecutionTimeout) passed. HTTP answers 503 with Retry-After.
/// </summary>
public sealed class ServiceUnavailableError(string message) : ExecutionError(message)
{
    public const string CodeName = "SERVICE_UNAVAILABLE";
    /// <summary>What Retry-After says: long enough for a restarting PostgreSQL, short enough for a person waiting.</summary>
    public const int RetryAfterSeconds = 5;

    public static ServiceUnavailableError Database() => new("The Director's database is unreachable; try again in a few seconds");

    /// <summary>Whether a result holds such an error (graphql-dotnet's own deadline error included).</summary>
    public static bool In(ExecutionResult result) => result.Errors?.Any(e => e is ServiceUnavailableError or TimeoutError) == true;
}

/// <summary>User input quoted in an error message is shortened, so that a 60 KB argument is not echoed back.</summary>
public static partial class Quoted
{
    public const int MaxLength = Conpaas.Domain.Text.MaxQuoted;

    /// <summary>The domain's one rule for quoting input (<see cref="Conpaas.Domain.Text.Quote"/>).</summary>
    public static string Shorten(string value) => Conpaas.Domain.Text.Quote(value);

    /// <summary>Shortens every quoted part of a message written by a library ('…' or "…"), which quotes what it was sent.</summary>
    public static string InMessage(string message) =>
        message.Length <= MaxLength ? message : LongQuote().Replace(message, m => m.Value[0] + Shorten(m.Value[1..^1]) + m.Value[^1]);

    [System.Text.RegularExpressions.GeneratedRegex("""'[^']{65,}'|"[^"]{65,}"|'[^']{65,}$|"[^"]{65,}$""")]
    private static partial System.Text.RegularExpressions.Regex LongQuote();
}

/// <summary>An operation type this HTTP method may not carry (mutation over GET, subscription over plain POST).</summary>
public sealed class MethodNotAllowedError(string message) : ValidationError(message);

/// <summary>The one place where every error becomes the contract's shape: a message and extensions.code.</summary>
public sealed class DirectorErrorInfoProvider(bool exposeDetails) : IErrorInfoProvider
{
    public const string InternalError = "INTERNAL_SERVER_ERROR";

    public ErrorInfo GetInfo(ExecutionError error)
    {
        var extensions = new Dictionary<string, object?>();
        string message = error.Message;
        switch (error)
        {
            case DirectorError d:
                extensions["code"] = d.Error.Code.ToString();
                if (d.Error.Field is not null) extensions["field"] = d.Error.Field;
                foreach (var (k, v) in d.Error.Extensions) extensions[k] = v;
                break;
            case MethodNotAllowedError:
                extensions["code"] = ErrorCode.INVALID_INPUT.ToString();
                break;
            case DocumentError:
                // Syntax, validation and variable errors: the request itself is malformed. graphql-dotnet quotes what
                // it was sent (names, variable values).
                extensions["code"] = ErrorCode.INVALID_INPUT.ToString();
                if (error.Code is { } detail) extensions["reason"] = detail;
                message = Quoted.InMessage(message);
                break;
            case ServiceUnavailableError:
                extensions["code"] = ServiceUnavailableError.CodeName;
                break;
            case TimeoutError:
                extensions["code"] = ServiceUnavailableError.CodeName;
                extensions["reason"] = "EXECUTION_TIMEOUT";
                message = "The request ran longer than the execution deadline (GraphQL:ExecutionTimeout) and was stopped";
                break;
            default:
                extensions["code"] = InternalError;
                if (!exposeDetails) message = "Internal server error";
                else if (error.InnerException is { } inner) message = $"{error.Message} {inner.GetType().Name}: {inner.Message}";
                break;
        }

        return new ErrorInfo { Message = message, Extensions = extensions };
    }

    /// <summary>Turns exceptions thrown by resolvers into errors with codes; anything else is logged and hidden.</summary>
    public static Task Handle(UnhandledExceptionContext context, ILogger log)
    {
        switch (context.OriginalException)
        {
            case DomainException d:
                context.Exception = new DirectorError(d.Error);
                break;
            case DirectorError e:
                // Already a refusal with a code (e.g. a subscription whose session ended).
                context.Exception = e;
                break;
            case var e when EventStore.PostgresErrors.IsDatabaseUnavailable(e):
                context.Exception = ServiceUnavailableError.Database();
                break;
            case ConcurrencyException:
                // Commands that take expectedVersion check it themselves; this is a lost race between two writers.
                context.Exception = new DirectorError(DomainError.Conflict("The object was changed at the same time by another request; try again"));
                break;
            default:
                log.LogError(context.OriginalException, "Unhandled error in GraphQL resolver {Field}",
                    context.FieldContext?.FieldDefinition.Name);
                break;
        }

        return Task.CompletedTask;
    }
}
