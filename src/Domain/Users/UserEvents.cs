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
    DateTimeOffset RegisteredAt) : IEvolves<User>;

/// <summary>A new password; every session but <see cref="KeptSessionId"/> ends with it.</summary>
public sealed record PasswordChanged(string PasswordHash, Guid? KeptSessionId) : IEvolves<User>;

/// <summary>
/// A successful login. Only a hash of the bearer token is kept. <see cref="StartedAt"/> (null in sessions started before
/// it was recorded) tells how recent the sign-in is, e.g. for setting a first password.
/// </summary>
public sealed record SessionStarted(Guid SessionId, string TokenHash, DateTimeOffset ExpiresAt, DateTimeOffset? StartedAt = null) : IDomainEvent;

public sealed record SessionEnded(Guid SessionId, string Reason) : IDomainEvent;

/// <summary>An administrator gave (or, negative, took) credit; <see cref="Applied"/> is what the balance really moved.</summary>
public sealed record CreditGranted(int Amount, int Applied, string Reason, string Actor, int Balance) : IEvolves<User>;

/// <summary>One VM-hour, keyed by (VM, hour) so that no retry, replay or second node ever charges it twice.
/// <see cref="Amount"/> is 0 when the balance could not cover it (it never goes below 0).</summary>
public sealed record CreditCharged(Guid VmId, int Hour, int Amount, string VmName, int Balance) : IEvolves<User>;

/// <summary>The balance reached 0 while VMs run: every running service of the user is stopped.</summary>
public sealed record CreditExhausted(string Reason) : IDomainEvent;

/// <summary>
/// The Director's CA signed a certificate for this user (on the user's stream) or, role manager/agent, for one of the
/// user's VMs (on the VM's stream, with <see cref="OwnerId"/>). The subject is the CA's choice, never the request's;
/// <see cref="Fingerprint"/> is the SHA-256 of the certificate (hexadecimal).
/// </summary>
public sealed record CertificateIssued(
    string Serial,
    string Subject,
    string Role,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Fingerprint,
    Guid? ApplicationId = null,
    Guid? VmId = null,
    Guid? OwnerId = null) : IDomainEvent;

/// <summary>A certificate of this user was revoked; <see cref="Reason"/> is the RFC 5280 name (unspecified, keyCompromise, …).</summary>
public sealed record CertificateRevoked(string Serial, string Reason, DateTimeOffset RevokedAt) : IDomainEvent;
