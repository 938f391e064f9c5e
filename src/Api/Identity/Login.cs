using Conpaas.Api.Hosting;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Users;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Conpaas.Api.Identity;

/// <summary>The password check of login and POST /session; answers the user, whose session <see cref="StartSession"/> starts.</summary>
public sealed record Login(string Username, string Password);

/// <summary>
/// A plain handler, not the aggregate workflow: the attempt is counted and committed first, in a transaction of its own
/// under an advisory lock, so that it stays counted as a failure whatever happens next; the user stream is not written
/// here (StartSession writes it, and a version conflict there retries that alone, never counting the attempt twice).
/// </summary>
public static class LoginHandler
{
    public static async Task<User> Handle(Login cmd, IDocumentStore store, IQuerySession query, PasswordHasher hasher,
        IOptions<DirectorOptions> options, TimeProvider clock, IMessageContext context, ILogger<Login> log, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var key = Text.Key(cmd.Username);
        // No user has a longer name, and its failure could not be recorded (the key is indexed): refused as a wrong name.
        if (key.Length > Text.MaxNameLength) throw Sessions.BadCredentials.ToException();
        User? user;
        bool valid;
        using (await hasher.Turn(ct))
        {
            await CountAttempt(store, options.Value, context.CorrelationId, key, now, ct);
            user = key.Length == 0 ? null : await query.Query<User>().FirstOrDefaultAsync(u => u.UsernameKey == key, ct);
            valid = user is not null ? hasher.Verify(cmd.Password, user.PasswordHash) : Decoy(hasher, cmd.Password);
        }

        if (valid && user is not null) return user;
        // The attempt counted above stays as the failure.
        log.LogInformation("Failed login for {Username}", Text.Quote(cmd.Username));
        throw Sessions.BadCredentials.ToException();
    }

    /// <summary>The login mutation and POST /session: counted per client address, then the password, then the session.</summary>
    public static async Task<SessionResult> Send(IMessageContext bus, Caller caller, AnonymousSignIns signIns, string username, string password, CancellationToken ct)
    {
        signIns.Count(caller);
        caller.Stamp(bus);
        var user = await bus.InvokeAsync<User>(new Login(username, password), ct);
        return await bus.InvokeAsync<SessionResult>(new StartSession(user.Id, Text.Key(username)), ct);
    }

    /// <summary>
    /// Records this attempt as a failure unless the name is locked (then RATE_LIMITED, nothing recorded). The count and
    /// the record are one step under a per-name advisory lock, so parallel attempts on any node take turns and at most
    /// LoginMaxFailures passwords are ever checked per window; a right password then deletes the record (StartSession).
    /// Callers queue for a hashing turn (in memory) before they come here, so a burst holds at most
    /// MaxConcurrentPasswordHashes connections per node, and the lock itself lasts two statements, never a password check.
    /// </summary>
    private static async Task CountAttempt(IDocumentStore store, DirectorOptions options, string? correlationId, string key, DateTimeOffset now, CancellationToken ct)
    {
        await using var attempt = store.LightweightSession();
        attempt.CorrelationId = correlationId;
        await attempt.BeginTransactionAsync(ct);
        await attempt.QueryAsync<int>("select count(*)::int from pg_advisory_xact_lock(hashtextextended(?, 0))", ct, "login:" + key);
        var windowStart = now - options.LoginFailureWindow;
        var failures = await attempt.Query<LoginFailure>()
            .Where(f => f.UsernameKey == key && f.At > windowStart)
            .Select(f => f.At).ToListAsync(ct);
        if (Sessions.LockedUntil(failures, options.LoginThrottle, now) is { } until)
            throw Sessions.RateLimited(until, now).ToException();
        attempt.Store(new LoginFailure { Id = Guid.CreateVersion7(), UsernameKey = key, At = now });
        await attempt.SaveChangesAsync(ct);
    }

    // A login for a missing user costs the same time as a wrong password.
    private static bool Decoy(PasswordHasher hasher, string password)
    {
        hasher.VerifyDecoy(password);
        return false;
    }
}
