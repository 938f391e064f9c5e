using Conpaas.Domain.Users;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace Conpaas.EventStore.Users;

/// <summary>A live bearer token, found by the SHA-256 of the token; deleted when the session ends.</summary>
public sealed class SessionView
{
    public string Id { get; set; } = "";
    public Guid SessionId { get; set; }
    public Guid UserId { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>Keeps <see cref="SessionView"/> in step with the user stream, in the same transaction as the event.</summary>
public sealed partial class SessionProjection : EventProjection
{
    public SessionView Create(IEvent<SessionStarted> e) => new()
    {
        Id = e.Data.TokenHash,
        SessionId = e.Data.SessionId,
        UserId = e.StreamId,
        ExpiresAt = e.Data.ExpiresAt,
    };

    public void Project(SessionEnded e, IDocumentOperations ops) =>
        ops.DeleteWhere<SessionView>(s => s.SessionId == e.SessionId);

    // A changed password ends every other session of the user.
    public void Project(IEvent<PasswordChanged> e, IDocumentOperations ops)
    {
        var kept = e.Data.KeptSessionId ?? Guid.Empty;
        ops.DeleteWhere<SessionView>(s => s.UserId == e.StreamId && s.SessionId != kept);
    }
}

/// <summary>One failed login for a name (existing or not), for the lockout rule.</summary>
public sealed class LoginFailure
{
    public Guid Id { get; set; }
    public string UsernameKey { get; set; } = "";
    public DateTimeOffset At { get; set; }
}
