using Conpaas.Domain;
using Conpaas.Domain.Users;
using Wolverine;

namespace Conpaas.Api.Identity;

/// <summary>Who is asking, for one request: resolved once by the transport from the bearer token.</summary>
public sealed class Caller
{
    public User? User { get; private set; }
    public Guid? SessionId { get; private set; }
    /// <summary>The key of the session's read model (the token's hash): how long-lived subscriptions re-check it.</summary>
    public string? SessionKey { get; private set; }
    /// <summary>Why a presented token was not accepted (expired, revoked, malformed); null when none was presented.</summary>
    public string? RejectedBecause { get; private set; }
    public string CorrelationId { get; set; } = Guid.NewGuid().ToString("N");

    public bool IsSignedIn => User is not null;
    public bool IsAdmin => User?.IsAdmin == true;
    /// <summary>The actor recorded on events: the user name, or "anonymous".</summary>
    public string Actor => User?.Username ?? "anonymous";

    public void SignIn(User user, Guid sessionId, string? sessionKey = null)
    {
        User = user;
        SessionId = sessionId;
        SessionKey = sessionKey;
        RejectedBecause = null;
    }

    public void Reject(string reason) => RejectedBecause = reason;

    public User RequireUser() =>
        User ?? throw DomainError.Unauthenticated(RejectedBecause ?? "Sign-in required: send 'Authorization: Bearer <token>' from login").ToException();

    public User RequireAdmin()
    {
        var user = RequireUser();
        return user.IsAdmin ? user : throw DomainError.Forbidden("Only administrators may do this").ToException();
    }

    /// <summary>
    /// The bus of a command sent for this caller, also outside GraphQL (POST /session, /sso/…): its events carry the
    /// request's correlation id and the caller's name, as CommandBus stamps the mutations'.
    /// </summary>
    public IMessageContext Stamp(IMessageContext bus)
    {
        bus.CorrelationId = CorrelationId;
        bus.UserName = User?.Username;
        return bus;
    }

    /// <summary>Someone else's object answers exactly like a missing one.</summary>
    public bool MaySee(Guid ownerId) => User is { } u && (u.IsAdmin || u.Id == ownerId);
}
