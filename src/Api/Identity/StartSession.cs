using Conpaas.Api.Hosting;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Users;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine.Marten;

namespace Conpaas.Api.Identity;

public sealed record SessionResult(string Token, DateTimeOffset ExpiresAt, User User);

/// <summary>
/// A session of a user who proved who they are (a password: <see cref="Login"/>, or an identity provider: Sso/).
/// <see cref="ClearFailuresOf"/> is the name whose failed login attempts the sign-in clears.
/// </summary>
public sealed record StartSession(Guid UserId, string? ClearFailuresOf);

public static class StartSessionHandler
{
    /// <summary>The user's stream may be written at the same moment (a credit charge, another login): the version conflict runs this again afresh.</summary>
    public static (SessionResult, Events) Handle(StartSession cmd, [WriteAggregate(Required = false)] User? user, IDocumentSession session,
        IOptions<DirectorOptions> options, TimeProvider clock, ILogger<StartSession> log)
    {
        if (user is null) throw Sessions.BadCredentials.ToException();
        var token = Tokens.New();
        var now = clock.GetUtcNow();
        var started = new SessionStarted(Guid.CreateVersion7(), Tokens.HashOf(token), now + options.Value.SessionLifetime, now);
        session.LastModifiedBy = user.Username;
        ExpectedRaces.Quieten(session, log);
        if (cmd.ClearFailuresOf is { } key) session.DeleteWhere<LoginFailure>(f => f.UsernameKey == key);
        return (new SessionResult(token, started.ExpiresAt, user), [started]);
    }
}
