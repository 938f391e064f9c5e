namespace Conpaas.Domain.Users;

public enum Role { USER, ADMIN }

public sealed record UserRegistered(
    Guid UserId,
    string Username,
    string Email,
    string PasswordHash,
    string? FirstName,
    string? LastName,
    string? Affiliation,
    Role Role,
    int Credit,
    DateTimeOffset RegisteredAt);

/// <summary>A new password; every session but <see cref="KeptSessionId"/> ends with it.</summary>
public sealed record PasswordChanged(string PasswordHash, Guid? KeptSessionId);

/// <summary>A successful login. Only a hash of the bearer token is kept.</summary>
public sealed record SessionStarted(Guid SessionId, string TokenHash, DateTimeOffset ExpiresAt);

public sealed record SessionEnded(Guid SessionId, string Reason);
