using Conpaas.Api.Hosting;
using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Users;
using Conpaas.EventStore;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity;

/// <summary>register, createUser, the first administrator and `adduser`: a new user stream (ConPaaS /new_user).</summary>
public sealed record Register(RegisterUser User);

public static class RegisterHandler
{
    public static async Task<User> Handle(Register cmd, IDocumentSession session, PasswordHasher hasher, IOptions<DirectorOptions> options,
        ServiceContextFactory contexts, TimeProvider clock, ILogger<Register> log, CancellationToken ct)
    {
        var input = cmd.User;
        var policy = options.Value.Registration;
        if (Registration.Validate(input, policy) is { } invalid) throw invalid.ToException();

        // The friendly answer for the common case; the unique indexes settle races at commit (Answer below).
        if (await session.Query<User>().AnyAsync(u => u.UsernameKey == Text.Key(input.Username!), ct))
            throw Registration.UsernameTaken(input.Username!).ToException();
        if (await session.Query<User>().AnyAsync(u => u.EmailKey == Text.Key(input.Email!), ct))
            throw Registration.EmailTaken(input.Email!).ToException();

        // Hashed before anything is written, so no transaction waits for Argon2.
        string hash;
        using (await hasher.Turn(ct)) hash = hasher.Hash(input.Password!);
        return Open(session, Registration.Decide(input, policy, Guid.CreateVersion7(), hash, clock.GetUtcNow()), [], options.Value, contexts, log);
    }

    /// <summary>
    /// Starts the user's stream, with the default application (the original's behaviour) when
    /// Director:CreateDefaultApplication is on: one commit, so there is never a user without it. Answers the user as the
    /// inline projection stores it, made by the same function (User.After), without reading it back.
    /// </summary>
    internal static User Open(IDocumentSession session, UserRegistered registered, object[] more, DirectorOptions options,
        ServiceContextFactory contexts, ILogger log)
    {
        // Nobody signed in (register, a first SSO sign-in): the new user is who acted.
        if (string.IsNullOrEmpty(session.LastModifiedBy)) session.LastModifiedBy = registered.Username;
        ExpectedRaces.Quieten(session, log);
        object[] events = [registered, .. more];
        session.Events.StartStream<User>(registered.UserId, events);
        if (options.CreateDefaultApplication)
        {
            // Its name is validated at start-up; a new user has no other application to clash with.
            var appId = Guid.CreateVersion7();
            var created = ApplicationDecisions.Create(appId, registered.UserId, options.DefaultApplicationName, contexts.Vpn, registered.RegisteredAt);
            session.Events.StartStream<Application>(appId, [.. created.EventsOrThrow()]);
        }

        var user = events.Aggregate((User?)null, User.After)!;
        // The version the inline projection stamps: that of the last event that evolves the user (a linked identity does not).
        user.Version = Array.FindLastIndex(events, e => e is IEvolves<User>) + 1;
        return user;
    }

    /// <summary>Waits for a registration; a name or e-mail a racing registration took after the check above is CONFLICT too.</summary>
    public static async Task<User> Answer(Task<User> registering, RegisterUser input, ILogger log)
    {
        try
        {
            var user = await registering;
            log.LogInformation("User {Username} registered with role {Role}", user.Username, user.Role);
            return user;
        }
        catch (Exception ex) when (PostgresErrors.UniqueViolation(ex) is { } index)
        {
            throw (index.Contains("email") ? Registration.EmailTaken(input.Email!) : Registration.UsernameTaken(input.Username!)).ToException();
        }
    }
}
