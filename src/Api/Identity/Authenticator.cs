using Conpaas.Domain.Users;
using Conpaas.EventStore.Users;
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
        SessionView? view = null;
        User? user = null;
        if (Tokens.LooksValid(token))
        {
            // The session and its user in one round trip: every authenticated request pays for this.
            var hash = Tokens.HashOf(token);
            var batch = session.CreateBatchQuery();
            var viewRead = batch.Load<SessionView>(hash);
            var userRead = batch.Query<User>(
                Conpaas.EventStore.History.EventLogSql.For(session.DocumentStore.Options).UserOfSession, hash);
            await batch.Execute(ct);
            view = await viewRead;
            user = (await userRead).SingleOrDefault();
        }

        if (view is null || view.ExpiresAt <= clock.GetUtcNow() || user is null) caller.Reject("Invalid, expired or revoked token: log in again");
        else caller.SignIn(user, view.SessionId, view.Id);
    }
}
