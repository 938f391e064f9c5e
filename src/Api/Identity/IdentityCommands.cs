using Conpaas.Api.Hosting;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Users;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity;

public sealed record SessionResult(string Token, DateTimeOffset ExpiresAt, User User);

/// <summary>The glue of the identity slice: load, decide (Conpaas.Domain.Users), append, save.</summary>
public sealed class IdentityCommands(
    IDocumentStore store,
    IDocumentSession session,
    PasswordHasher hasher,
    AnonymousSignIns signIns,
    IOptions<DirectorOptions> options,
    TimeProvider clock,
    CloudAgents.Clouds.ServiceContextFactory contexts,
    Caller caller,
    ILogger<IdentityCommands> log)
{
    private DirectorOptions Options => options.Value;

    public async Task<User> Register(RegisterUser cmd, CancellationToken ct)
    {
        signIns.Count(caller);
        var policy = Options.Registration;
        if (Registration.Validate(cmd, policy) is { } invalid) throw invalid.ToException();

        // The friendly answer for the common case; the unique indexes settle races below.
        if (await session.Query<User>().AnyAsync(u => u.UsernameKey == Text.Key(cmd.Username!), ct))
            throw Registration.UsernameTaken(cmd.Username!).ToException();
        if (await session.Query<User>().AnyAsync(u => u.EmailKey == Text.Key(cmd.Email!), ct))
            throw Registration.EmailTaken(cmd.Email!).ToException();

        string hash;
        using (await hasher.Turn(ct)) hash = hasher.Hash(cmd.Password!);
        var registered = Registration.Decide(cmd, policy, Guid.CreateVersion7(), hash, clock.GetUtcNow());
        Stamp(caller.IsSignedIn ? caller.Actor : registered.Username);
        session.Events.StartStream<User>(registered.UserId, registered);
        if (Options.CreateDefaultApplication)
        {
            // Its name is validated at start-up; a new user has no other application to clash with.
            var appId = Guid.CreateVersion7();
            var created = ApplicationDecisions.Create(appId, registered.UserId, Options.DefaultApplicationName, contexts.Vpn, registered.RegisteredAt);
            session.Events.StartStream<Application>(appId, [.. created.EventsOrThrow()]);
        }

        ExpectedRaces.Quieten(session, log);
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (EventStore.PostgresErrors.UniqueViolation(ex) is { } index)
        {
            throw (index.Contains("email") ? Registration.EmailTaken(cmd.Email!) : Registration.UsernameTaken(cmd.Username!)).ToException();
        }

        log.LogInformation("User {Username} registered with role {Role}", registered.Username, registered.Role);
        return (await session.LoadAsync<User>(registered.UserId, ct))!;
    }

    public async Task<SessionResult> Login(string username, string password, CancellationToken ct)
    {
        signIns.Count(caller);
        var now = clock.GetUtcNow();
        var key = Text.Key(username);
        // No user has a longer name, and its failure could not be recorded (the key is indexed): refused as a wrong name.
        if (key.Length > Text.MaxNameLength) throw Sessions.BadCredentials.ToException();
        User? user;
        bool valid;
        using (await hasher.Turn(ct))
        {
            await CountAttempt(key, now, ct);
            user = key.Length == 0 ? null : await session.Query<User>().FirstOrDefaultAsync(u => u.UsernameKey == key, ct);
            valid = user is not null ? hasher.Verify(password, user.PasswordHash) : DecoyVerify(password);
        }

        if (!valid || user is null)
        {
            // The attempt counted above stays as the failure.
            log.LogInformation("Failed login for {Username}", Text.Quote(username));
            throw Sessions.BadCredentials.ToException();
        }

        return await StartSession(user, key, ct);
    }

    /// <summary>Starts a session of a user who proved who they are (a password, or an identity provider: Sso/).</summary>
    /// <param name="failuresOf">The name whose failed attempts the sign-in clears.</param>
    public async Task<SessionResult> StartSession(User user, string? failuresOf, CancellationToken ct)
    {
        var token = Tokens.New();
        var started = new SessionStarted(Guid.CreateVersion7(), Tokens.HashOf(token), clock.GetUtcNow() + Options.SessionLifetime);
        // The user's stream may be written at the same moment (a credit charge, another login): try again afresh.
        await EventStore.Writing.DecisionCommit.Retrying(async () =>
        {
            await using var write = store.LightweightSession();
            write.CorrelationId = caller.CorrelationId;
            write.LastModifiedBy = user.Username;
            ExpectedRaces.Quieten(write, log);
            write.Events.Append(user.Id, started);
            if (failuresOf is not null) write.DeleteWhere<LoginFailure>(f => f.UsernameKey == failuresOf);
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
        string hash;
        using (await hasher.Turn(ct))
        {
            if (!hasher.Verify(oldPassword, user.PasswordHash))
                throw DomainError.Invalid("oldPassword", "The old password is not correct").ToException();
            hash = hasher.Hash(newPassword);
        }

        Stamp(user.Username);
        // The version check makes two concurrent changes of one password fail instead of silently racing.
        var stream = await session.Events.FetchForWriting<User>(user.Id, ct);
        stream.AppendOne(new PasswordChanged(hash, caller.SessionId));
        await session.SaveChangesAsync(ct);
    }

    public async Task<IReadOnlyList<User>> Users(CancellationToken ct)
    {
        caller.RequireAdmin();
        return await session.Query<User>().OrderBy(u => u.UsernameKey).ToListAsync(ct);
    }

    /// <summary>
    /// Records this attempt as a failure unless the name is locked (then RATE_LIMITED, nothing recorded). The count and
    /// the record are one step under a per-name advisory lock, so parallel attempts on any node take turns and at most
    /// LoginMaxFailures passwords are ever checked per window; a right password then deletes the record. Callers queue
    /// for a hashing turn (in memory) before they come here, so a burst holds at most MaxConcurrentPasswordHashes
    /// connections per node, and the lock itself lasts two statements, never a password check.
    /// </summary>
    private async Task CountAttempt(string key, DateTimeOffset now, CancellationToken ct)
    {
        await using var attempt = store.LightweightSession();
        attempt.CorrelationId = caller.CorrelationId;
        await attempt.BeginTransactionAsync(ct);
        await attempt.QueryAsync<int>("select count(*)::int from pg_advisory_xact_lock(hashtextextended(?, 0))", ct, "login:" + key);
        var windowStart = now - Options.LoginFailureWindow;
        var failures = await attempt.Query<LoginFailure>()
            .Where(f => f.UsernameKey == key && f.At > windowStart)
            .Select(f => f.At).ToListAsync(ct);
        if (Sessions.LockedUntil(failures, Options.LoginThrottle, now) is { } until)
            throw Sessions.RateLimited(until, now).ToException();
        attempt.Store(new LoginFailure { Id = Guid.CreateVersion7(), UsernameKey = key, At = now });
        await attempt.SaveChangesAsync(ct);
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
}
