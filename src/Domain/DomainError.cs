namespace Conpaas.Domain;

/// <summary>The error codes of the public contract (api.graphql), the only ones a client ever sees.</summary>
public enum ErrorCode
{
    UNAUTHENTICATED,
    FORBIDDEN,
    NOT_FOUND,
    INVALID_INPUT,
    CONFLICT,
    VERSION_CONFLICT,
    INSUFFICIENT_CREDIT,
    VPN_EXHAUSTED,
    UNKNOWN_CLOUD,
    UNKNOWN_SERVICE_TYPE,
    RATE_LIMITED,
    QUOTA_EXCEEDED,
}

/// <summary>A refused decision: a code, a message a person understands and, for bad input, the field.</summary>
public sealed record DomainError(ErrorCode Code, string Message, string? Field = null)
{
    /// <summary>Extra machine-readable facts, e.g. currentVersion or the available clouds.</summary>
    public IReadOnlyDictionary<string, object?> Extensions { get; init; } = new Dictionary<string, object?>();

    public static DomainError Invalid(string field, string message) => new(ErrorCode.INVALID_INPUT, message, field);
    public static DomainError Missing(string field) => Invalid(field, $"Missing required field: '{field}'");
    public static DomainError NotFound(string message) => new(ErrorCode.NOT_FOUND, message);
    public static DomainError Conflict(string message, string? field = null) => new(ErrorCode.CONFLICT, message, field);
    public static DomainError Forbidden(string message) => new(ErrorCode.FORBIDDEN, message);
    public static DomainError Unauthenticated(string message) => new(ErrorCode.UNAUTHENTICATED, message);

    public static DomainError VersionConflict(long expected, long current) =>
        new(ErrorCode.VERSION_CONFLICT, $"Version conflict: expected version {expected} but current version is {current}")
        {
            Extensions = new Dictionary<string, object?> { ["currentVersion"] = current },
        };

    public DomainException ToException() => new(this);
}

/// <summary>Carries a <see cref="DomainError"/> through the glue layers to the one place that maps it.</summary>
public sealed class DomainException(DomainError error) : Exception(error.Message)
{
    public DomainError Error { get; } = error;
}
