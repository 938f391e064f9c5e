using Conpaas.Domain.Users;
using Conpaas.Projections.Users;
using Marten;

namespace Conpaas.Api.Identity;

/// <summary>Turns an Authorization header into a signed-in <see cref="Caller"/>; a revoked session fails on the next request.</summary>
public sealed class Authenticator(IQuerySession session, TimeProvider clock)
{
    /// <summary>Is the caller's session still live (not logged out, not ended by a password change, not expired)?</summary>
    public async Task<bool> StillValid(Caller caller, CancellationToken ct) =>
        caller.SessionKey is not { } key
        || await session.LoadAsync<SessionView>(key, ct) is { } view && view.ExpiresAt > clock.GetUtcNow();

    public async Task Authenticate(string? authorization, Caller caller, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(authorization)) return;
        const string scheme = "Bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            caller.Reject("Unsupported authorization scheme: use 'Bearer <token>'");
            return;
        }

        var token = authorization[scheme.Length..].Trim();
        var view = Tokens.LooksValid(token) ? await session.LoadAsync<SessionView>(Tokens.HashOf(token), ct) : null;
        if (view is null || view.ExpiresAt <= clock.GetUtcNow())
        {
            caller.Reject("Invalid, expired or revoked token: log in again");
            return;
        }

        var user = await session.LoadAsync<User>(view.UserId, ct);
        if (user is null) caller.Reject("Invalid, expired or revoked token: log in again");
        else caller.SignIn(user, view.SessionId, view.Id);
    }
}
