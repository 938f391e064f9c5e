using System.Security.Cryptography;
using Conpaas.Api.Hosting;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.EventStore;
using Conpaas.EventStore.Users;
using Marten;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity.Sso;

/// <summary>A sign-in at a provider has begun: send the browser to <see cref="Url"/>, give it <see cref="Binding"/> as a cookie.</summary>
public sealed record SsoStart(string Url, string Binding);

/// <summary>How a callback ended: a browser session, a CLI's loopback address to send the browser to, or a linked provider.</summary>
public sealed record SsoOutcome(SessionResult? Session, string? CliRedirect, User? Linked);

/// <summary>
/// The glue of federated sign-in (README, "Signing in with an identity provider"): start a code flow, finish it, and
/// map the provider's identity to a user by issuer + subject only, never by e-mail or name.
/// </summary>
public sealed class SsoSignIns(
    IDocumentStore store,
    IQuerySession query,
    SsoProviders providers,
    IdentityCommands identity,
    IOptions<DirectorOptions> director,
    IOptions<SsoOptions> options,
    TimeProvider clock,
    Caller caller,
    ILogger<SsoSignIns> log)
{
    private static readonly TimeSpan HandoffLifetime = TimeSpan.FromMinutes(2);

    public async Task<SsoStart> Start(string provider, Guid? linkUserId, string? cliRedirect, CancellationToken ct)
    {
        providers.Get(provider);
        if (cliRedirect is not null && !(Uri.TryCreate(cliRedirect, UriKind.Absolute, out var cli) && cli.Scheme == Uri.UriSchemeHttp
                && SsoProviderOptions.IsLoopback(cli) && string.IsNullOrEmpty(cli.Query)))
            throw new SsoException(StatusCodes.Status400BadRequest, DomainError.Invalid("cli", "The CLI's address must be http:// on a loopback address, without query"));

        string state = NewSecret(), nonce = NewSecret(), verifier = NewSecret(), binding = NewSecret();
        var redirectUri = $"{director.Value.Url.TrimEnd('/')}/sso/{Uri.EscapeDataString(provider.ToLowerInvariant())}/callback";
        // The provider's discovery is read first: when it is down, nothing is written.
        var url = await providers.AuthorizationUrl(provider, redirectUri, state, nonce, verifier, ct);
        var now = clock.GetUtcNow();
        await using var write = store.LightweightSession();
        write.CorrelationId = caller.CorrelationId;
        // Sign-ins abandoned at the provider, and codes no CLI collected, go with the next start.
        write.DeleteWhere<SsoAttempt>(a => a.ExpiresAt < now);
        write.DeleteWhere<SsoHandoff>(h => h.ExpiresAt < now);
        write.Store(new SsoAttempt
        {
            Id = Tokens.HashOf(state),
            Provider = provider.ToLowerInvariant(),
            Nonce = nonce,
            Verifier = verifier,
            RedirectUri = redirectUri,
            BindingHash = Tokens.HashOf(binding),
            LinkUserId = linkUserId,
            CliRedirect = cliRedirect,
            ExpiresAt = now + options.Value.SignInTimeout,
        });
        await write.SaveChangesAsync(ct);
        return new SsoStart(url, binding);
    }

    public async Task<SsoOutcome> Finish(string provider, string? state, string? code, string? error, string? binding, CancellationToken ct)
    {
        var attempt = string.IsNullOrEmpty(state) ? null : await TakeOnce<SsoAttempt>(Tokens.HashOf(state), ct);
        if (attempt is null || attempt.ExpiresAt <= clock.GetUtcNow() || attempt.Provider != provider.ToLowerInvariant()
            || binding is null || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(attempt.BindingHash), Convert.FromHexString(Tokens.HashOf(binding))))
            throw new SsoException(StatusCodes.Status400BadRequest,
                DomainError.Invalid("state", "This sign-in is unknown, expired, already finished or was started in another browser: start again"));
        try
        {
            return await Finish(attempt, code, error, ct);
        }
        catch (Exception ex) when (attempt.CliRedirect is not null && (ex is SsoException or DomainException))
        {
            // The waiting CLI hears why, instead of waiting for a code that never comes.
            var why = ex is SsoException sso ? sso.Error.Message : ((DomainException)ex).Error.Message;
            return new SsoOutcome(null, QueryHelpers.AddQueryString(attempt.CliRedirect, "error", why), null);
        }
    }

    private async Task<SsoOutcome> Finish(SsoAttempt attempt, string? code, string? error, CancellationToken ct)
    {
        var provider = attempt.Provider;
        if (!string.IsNullOrEmpty(error) || string.IsNullOrEmpty(code))
            throw new SsoException(StatusCodes.Status401Unauthorized, DomainError.Unauthenticated(
                $"Sign-in with '{provider}' failed: the provider answered {(string.IsNullOrEmpty(error) ? "no code" : Text.Quote(error))}"));

        var who = await providers.Redeem(attempt.Provider, code, attempt.RedirectUri, attempt.Verifier, attempt.Nonce, ct);
        if (attempt.LinkUserId is { } userId) return new SsoOutcome(null, null, await Link(userId, who, ct));

        var user = await UserFor(who, ct);
        if (attempt.CliRedirect is null) return new SsoOutcome(await identity.StartSession(user, null, ct), null, null);

        var handoff = NewSecret();
        await using var write = store.LightweightSession();
        write.Store(new SsoHandoff { Id = Tokens.HashOf(handoff), UserId = user.Id, ExpiresAt = clock.GetUtcNow() + HandoffLifetime });
        await write.SaveChangesAsync(ct);
        return new SsoOutcome(null, QueryHelpers.AddQueryString(attempt.CliRedirect, "code", handoff), null);
    }

    /// <summary>The CLI collects the session of the sign-in it waited for, once.</summary>
    public async Task<SessionResult> CollectHandoff(string code, CancellationToken ct)
    {
        var handoff = await TakeOnce<SsoHandoff>(Tokens.HashOf(code), ct);
        if (handoff is null || handoff.ExpiresAt <= clock.GetUtcNow() || await query.LoadAsync<User>(handoff.UserId, ct) is not { } user)
            throw new SsoException(StatusCodes.Status401Unauthorized, DomainError.Unauthenticated("This sign-in code is unknown, expired or used: sign in again"));
        return await identity.StartSession(user, null, ct);
    }

    /// <summary>The user linked to this identity; a first sign-in registers one.</summary>
    private async Task<User> UserFor(SsoIdentity who, CancellationToken ct)
    {
        var key = SsoLinkProjection.KeyOf(who.Issuer, who.Subject);
        // A lost race (the same identity, or the chosen name, registered a moment earlier) is decided again afresh.
        for (var round = 0; ; round++)
        {
            await using var session = store.LightweightSession();
            if (await session.LoadAsync<SsoLinkView>(key, ct) is { } link && await session.LoadAsync<User>(link.UserId, ct) is { } linked)
                return linked;
            var registered = await Register(session, who, ct);
            try
            {
                await session.SaveChangesAsync(ct);
                log.LogInformation("User {Username} registered by a first sign-in with {Provider}", registered.Username, who.Provider);
                return (await session.LoadAsync<User>(registered.UserId, ct))!;
            }
            catch (Exception ex) when (PostgresErrors.UniqueViolation(ex) is not null && round < 3)
            {
            }
        }
    }

    private async Task<UserRegistered> Register(IDocumentSession session, SsoIdentity who, CancellationToken ct)
    {
        if (!director.Value.AllowRegistration)
            throw Refused(StatusCodes.Status403Forbidden, DomainError.Forbidden(
                $"No account is linked to this '{who.Provider}' identity and self-registration is off: ask an administrator for an account, then link '{who.Provider}' to it"));
        var claims = providers.Get(who.Provider);
        if (string.IsNullOrWhiteSpace(who.Username))
            throw Refused(StatusCodes.Status400BadRequest, DomainError.Invalid("username", $"The provider '{who.Provider}' gave no '{claims.UsernameClaim}' claim to name a new account"));
        if (string.IsNullOrWhiteSpace(who.Email))
            throw Refused(StatusCodes.Status400BadRequest, DomainError.Invalid("email", $"The provider '{who.Provider}' gave no '{claims.EmailClaim}' claim for a new account"));
        // Never linked by e-mail: whoever controls that address at the provider is not proven to own the account here.
        if (await session.Query<User>().AnyAsync(u => u.EmailKey == Text.Key(who.Email), ct))
            throw Refused(StatusCodes.Status409Conflict, DomainError.Conflict(
                $"E-mail '{who.Email.Trim()}' belongs to an existing account: sign in with its password and link '{who.Provider}' from there", "email"));

        var username = await FreeUsername(session, who.Username.Trim(), ct);
        // The registration rules, with a stand-in password that is never hashed: an SSO account has no password.
        var cmd = new RegisterUser(username, who.Email, new string('-', Registration.MaxPasswordLength), null, null, null, null, Role.USER);
        var policy = director.Value.Registration;
        if (Registration.Validate(cmd, policy) is { } invalid) throw Refused(StatusCodes.Status400BadRequest, invalid);

        var registered = Registration.Decide(cmd, policy, Guid.CreateVersion7(), passwordHash: "", clock.GetUtcNow());
        session.CorrelationId = caller.CorrelationId;
        session.LastModifiedBy = registered.Username;
        ExpectedRaces.Quieten(session, log);
        session.Events.StartStream<User>(registered.UserId, registered, new SsoIdentityLinked(who.Provider, who.Issuer, who.Subject));
        return registered;
    }

    /// <summary>The claimed name, or the first of name-2, name-3, … that nobody has: a password user's name is never taken over.</summary>
    private static async Task<string> FreeUsername(IQuerySession session, string claimed, CancellationToken ct)
    {
        var candidates = new[] { claimed }.Concat(Enumerable.Range(2, 48).Select(n => $"{claimed}-{n}")).ToList();
        var keys = candidates.Select(Text.Key).ToArray();
        var taken = (await session.Query<User>().Where(u => u.UsernameKey.IsOneOf(keys)).Select(u => u.UsernameKey).ToListAsync(ct)).ToHashSet();
        return candidates.FirstOrDefault(c => !taken.Contains(Text.Key(c)))
            ?? throw Refused(StatusCodes.Status409Conflict, Registration.UsernameTaken(claimed));
    }

    private async Task<User> Link(Guid userId, SsoIdentity who, CancellationToken ct)
    {
        var key = SsoLinkProjection.KeyOf(who.Issuer, who.Subject);
        var taken = Refused(StatusCodes.Status409Conflict, DomainError.Conflict($"This '{who.Provider}' identity already signs in as another user"));
        await using var session = store.LightweightSession();
        var user = await session.LoadAsync<User>(userId, ct) ?? throw Refused(StatusCodes.Status401Unauthorized, DomainError.Unauthenticated("The account to link no longer exists"));
        if (await session.LoadAsync<SsoLinkView>(key, ct) is { } link) return link.UserId == userId ? user : throw taken;

        session.CorrelationId = caller.CorrelationId;
        session.LastModifiedBy = user.Username;
        ExpectedRaces.Quieten(session, log);
        session.Events.Append(userId, new SsoIdentityLinked(who.Provider, who.Issuer, who.Subject));
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (PostgresErrors.UniqueViolation(ex) is not null)
        {
            throw taken;
        }

        log.LogInformation("User {Username} linked the identity provider {Provider}", user.Username, who.Provider);
        return user;
    }

    /// <summary>Loads and deletes a one-time record under a lock of its own, so that of two concurrent uses one gets it.</summary>
    private async Task<T?> TakeOnce<T>(string id, CancellationToken ct) where T : class
    {
        await using var take = store.LightweightSession();
        await take.BeginTransactionAsync(ct);
        await take.QueryAsync<int>("select count(*)::int from pg_advisory_xact_lock(hashtextextended(?, 0))", ct, "sso:" + id);
        var record = await take.LoadAsync<T>(id, ct);
        if (record is null) return null;
        take.Delete<T>(id);
        await take.SaveChangesAsync(ct);
        return record;
    }

    private static SsoException Refused(int status, DomainError error) => new(status, error);

    private static string NewSecret() => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
}
