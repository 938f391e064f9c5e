using Conpaas.Api.Hosting;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using JasperFx.Events;
using Marten;
using Marten.Events;
using Microsoft.Extensions.Options;
using Wolverine.Marten;

namespace Conpaas.Api.Identity;

/// <summary>
/// changePassword, and setPassword (<see cref="CurrentPassword"/> null): a first password for a user who has none
/// (registered by an identity provider; README, "Signing in with an identity provider").
/// </summary>
public sealed record ChangePassword(Guid UserId, Guid SessionId, string? CurrentPassword, string? NewPassword);

public static class ChangePasswordHandler
{
    /// <summary>
    /// How recent the provider's sign-in must be to set a first password without one: a token stolen earlier (a shell
    /// history, a forgotten browser) cannot take the account over by giving it a password its owner does not know.
    /// </summary>
    public static readonly TimeSpan FirstPasswordWithin = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Marten's optimistic FetchForWriting holds no transaction while Argon2 runs; the version check at commit makes two
    /// concurrent changes of one password take turns instead of silently racing.
    /// </summary>
    public static async Task<Events> Handle(ChangePassword cmd, [WriteAggregate] User user, IDocumentSession session, PasswordHasher hasher,
        IOptions<DirectorOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (Registration.CheckPassword("newPassword", cmd.NewPassword, options.Value.Registration) is { } invalid) throw invalid.ToException();
        var first = user.PasswordHash.Length == 0;
        if (cmd.CurrentPassword is null && !first)
            throw DomainError.Invalid("newPassword", "The user has a password already: change it with changePassword(oldPassword, newPassword)").ToException();
        // An account without a password has only ever been signed in by its provider, so every session of it is one.
        if (first && !await StartedSince(session, cmd, clock.GetUtcNow() - FirstPasswordWithin, ct))
            throw DomainError.Forbidden($"A first password is set only within {FirstPasswordWithin.TotalMinutes:0} minutes of signing in " +
                                        "with the identity provider: sign in with it again, then set the password").ToException();

        string hash;
        using (await hasher.Turn(ct))
        {
            // A user without a password has none to give: whatever they send as the old one is ignored.
            if (!first && !hasher.Verify(cmd.CurrentPassword!, user.PasswordHash))
                throw DomainError.Invalid("oldPassword", "The old password is not correct").ToException();
            hash = hasher.Hash(cmd.NewPassword!);
        }

        return [new PasswordChanged(hash, cmd.SessionId)];
    }

    /// <summary>
    /// Did the caller's session start at or after <paramref name="since"/>? Only the user's latest sign-ins are read:
    /// a session that is not among them is not recent either (refusing is the safe side).
    /// </summary>
    private static async Task<bool> StartedSince(IDocumentSession session, ChangePassword cmd, DateTimeOffset since, CancellationToken ct)
    {
        var latest = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamId == cmd.UserId && e.EventTypesAre(typeof(SessionStarted)))
            .OrderByDescending(e => e.Version).Take(20)
            .ToListAsync(ct);
        return latest.Any(e => e.Data is SessionStarted { StartedAt: { } at } s && s.SessionId == cmd.SessionId && at >= since);
    }
}
