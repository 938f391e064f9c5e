using Conpaas.Api.Hosting;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.Projections.Users;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Conpaas.Api.Identity;

public sealed record SessionResult(string Token, DateTimeOffset ExpiresAt, User User);

/// <summary>The glue of the identity slice: load, decide (Conpaas.Domain.Users), append, save.</summary>
public sealed class IdentityCommands(
    IDocumentStore store,
    IDocumentSession session,
    PasswordHasher hasher,
    IOptions<DirectorOptions> options,
    TimeProvider clock,
    Caller caller,
    ILogger<IdentityCommands> log)
{
    private DirectorOptions Options => options.Value;

    public async Task<User> Register(RegisterUser cmd, CancellationToken ct)
    {
        var policy = Options.Registration;
        if (Registration.Validate(cmd, policy) is { } invalid) throw invalid.ToException();

        // The friendly answer for the common case; the unique indexes settle races below.
        if (await session.Query<User>().AnyAsync(u => u.UsernameKey == Text.Key(cmd.Username!), ct))
            throw Registration.UsernameTaken(cmd.Username!).ToException();
        if (await session.Query<User>().AnyAsync(u => u.EmailKey == Text.Key(cmd.Email!), ct))
            throw Registration.EmailTaken(cmd.Email!).ToException();

        var registered = Registration.Decide(cmd, policy, Guid.CreateVersion7(), hasher.Hash(cmd.Password!), clock.GetUtcNow());
        Stamp(caller.IsSignedIn ? caller.Actor : registered.Username);
        session.Events.StartStream<User>(registered.UserId, registered);
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (UniqueViolation(ex) is { } index)
        {
            throw (index.Contains("email") ? Registration.EmailTaken(cmd.Email!) : Registration.UsernameTaken(cmd.Username!)).ToException();
        }

        log.LogInformation("User {Username} registered with role {Role}", registered.Username, registered.Role);
        return (await session.LoadAsync<User>(registered.UserId, ct))!;
    }

    public async Task<SessionResult> Login(string username, string password, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var key = Text.Key(username);
        var windowStart = now - Options.LoginFailureWindow;
        var failures = await session.Query<LoginFailure>()
            .Where(f => f.UsernameKey == key && f.At > windowStart)
            .Select(f => f.At).ToListAsync(ct);
        if (Sessions.LockedUntil(failures, Options.LoginThrottle, now) is { } until)
            throw Sessions.RateLimited(until, now).ToException();

        var user = key.Length == 0 ? null : await session.Query<User>().FirstOrDefaultAsync(u => u.UsernameKey == key, ct);
        var valid = user is not null ? hasher.Verify(password, user.PasswordHash) : DecoyVerify(password);
        if (!valid || user is null)
        {
            session.Store(new LoginFailure { Id = Guid.CreateVersion7(), UsernameKey = key, At = now });
            await session.SaveChangesAsync(ct);
            log.LogInformation("Failed login for {Username}", username);
            throw Sessions.BadCredentials.ToException();
        }

        var token = Tokens.New();
        var started = new SessionStarted(Guid.CreateVersion7(), Tokens.HashOf(token), now + Options.SessionLifetime);
        // The user's stream may be written at the same moment (a credit charge, another login): try again afresh.
        await Projections.Writing.DecisionCommit.Retrying(async () =>
        {
            await using var write = store.LightweightSession();
            write.CorrelationId = caller.CorrelationId;
            write.LastModifiedBy = user.Username;
            write.Events.Append(user.Id, started);
            write.DeleteWhere<LoginFailure>(f => f.UsernameKey == key);
            await write.SaveChangesAsync(ct);
            return true;
        });
        return new SessionResult(token, started.ExpiresAt, user);
    }

    public async Task Logout(CancellationToken ct)
    {
        var user = caller.RequireUser();
        Stamp(user.Username);
        session.Events.Append(user.Id, new SessionEnded(caller.SessionId!.Value, "logout"));
        await session.SaveChangesAsync(ct);
    }

    public async Task ChangePassword(string oldPassword, string newPassword, CancellationToken ct)
    {
        var user = caller.RequireUser();
        if (Registration.CheckPassword("newPassword", newPassword, Options.Registration) is { } invalid)
            throw invalid.ToException();
        if (!hasher.Verify(oldPassword, user.PasswordHash))
            throw DomainError.Invalid("oldPassword", "The old password is not correct").ToException();

        Stamp(user.Username);
        // The version check makes two concurrent changes of one password fail instead of silently racing.
        var stream = await session.Events.FetchForWriting<User>(user.Id, ct);
        stream.AppendOne(new PasswordChanged(hasher.Hash(newPassword), caller.SessionId));
        await session.SaveChangesAsync(ct);
    }

    public async Task<IReadOnlyList<User>> Users(CancellationToken ct)
    {
        caller.RequireAdmin();
        return await session.Query<User>().OrderBy(u => u.UsernameKey).ToListAsync(ct);
    }

    private bool DecoyVerify(string password)
    {
        hasher.VerifyDecoy(password);
        return false;
    }

    private void Stamp(string actor)
    {
        session.CorrelationId = caller.CorrelationId;
        session.LastModifiedBy = actor;
    }

    private static string? UniqueViolation(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg)
                return pg.ConstraintName ?? "";
        return null;
    }
}
