using System.Security.Cryptography;
using Conpaas.Api.Hosting;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.EventStore;
using Conpaas.EventStore.Users;
using Marten;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Wolverine;

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
    IMessageContext bus,
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
        if (attempt.CliRedirect is null) return new SsoOutcome(await StartSession(user, ct), null, null);

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
        return await StartSession(user, ct);
    }

    private async Task<SessionResult> StartSession(User user, CancellationToken ct) =>
        await caller.Stamp(bus).InvokeAsync<SessionResult>(new StartSession(user.Id, null), ct);

    /// <summary>The user linked to this identity; a first sign-in registers one.</summary>
    private async Task<User> UserFor(SsoIdentity who, CancellationToken ct)
    {
        var key = SsoLinkProjection.KeyOf(who.Issuer, who.Subject);
        // A lost race (the same identity, or the chosen name, registered a moment earlier) is decided again afresh.
        for (var round = 0; ; round++)
        {
            await using var read = store.QuerySession();
            if (await read.LoadAsync<SsoLinkView>(key, ct) is { } link && await read.LoadAsync<User>(link.UserId, ct) is { } linked)
                return linked;
            try
            {
                var registered = await caller.Stamp(bus).InvokeAsync<User>(new RegisterSsoUser(who), ct);
                log.LogInformation("User {Username} registered by a first sign-in with {Provider}", registered.Username, who.Provider);
                return registered;
            }
            catch (Exception ex) when (PostgresErrors.UniqueViolation(ex) is not null && round < 3)
            {
            }
        }
    }

    private async Task<User> Link(Guid userId, SsoIdentity who, CancellationToken ct)
    {
        try
        {
            var user = await caller.Stamp(bus).InvokeAsync<User>(new LinkSsoIdentity(userId, who), ct);
            log.LogInformation("User {Username} linked the identity provider {Provider}", user.Username, who.Provider);
            return user;
        }
        catch (Exception ex) when (PostgresErrors.UniqueViolation(ex) is not null)
        {
            throw LinkSsoIdentityHandler.LinkedElsewhere(who);
        }
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

    private static string NewSecret() => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
}
