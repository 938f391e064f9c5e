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
                // Syntax, validation and variable errors: the request itself is malformed.
                extensions["code"] = ErrorCode.INVALID_INPUT.ToString();
                if (error.Code is { } detail) extensions["reason"] = detail;
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
