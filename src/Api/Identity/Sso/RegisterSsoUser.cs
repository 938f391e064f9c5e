using Conpaas.Api.Hosting;
using Conpaas.CloudAgents.Clouds;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Users;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity.Sso;

/// <summary>
/// A first sign-in with a provider whose identity no user has: registers one, linked by issuer + subject (or answers the
/// user a racing first sign-in of the same identity registered).
/// </summary>
public sealed record RegisterSsoUser(SsoIdentity Who);

public static class RegisterSsoUserHandler
{
    public static async Task<User> Handle(RegisterSsoUser cmd, IDocumentSession session, SsoProviders providers, IOptions<DirectorOptions> director,
        ServiceContextFactory contexts, TimeProvider clock, ILogger<RegisterSsoUser> log, CancellationToken ct)
    {
        var who = cmd.Who;
        if (!director.Value.AllowRegistration)
            throw Refused(StatusCodes.Status403Forbidden, DomainError.Forbidden(
                $"No account is linked to this '{who.Provider}' identity and self-registration is off: ask an administrator for an account, then link '{who.Provider}' to it"));
        var claims = providers.Get(who.Provider);
        if (string.IsNullOrWhiteSpace(who.Username))
            throw Refused(StatusCodes.Status400BadRequest, DomainError.Invalid("username", $"The provider '{who.Provider}' gave no '{claims.UsernameClaim}' claim to name a new account"));
        if (string.IsNullOrWhiteSpace(who.Email))
            throw Refused(StatusCodes.Status400BadRequest, DomainError.Invalid("email", $"The provider '{who.Provider}' gave no '{claims.EmailClaim}' claim for a new account"));
        if (await session.Query<User>().FirstOrDefaultAsync(u => u.EmailKey == Text.Key(who.Email), ct) is { } owner)
        {
            // A first sign-in of this same identity, racing this one, registered it a moment ago (the user and the link
            // commit together, so the link is there when its user is).
            if (await session.LoadAsync<SsoLinkView>(SsoLinkProjection.KeyOf(who.Issuer, who.Subject), ct) is { } link && link.UserId == owner.Id)
                return owner;
            // Never linked by e-mail: whoever controls that address at the provider is not proven to own the account here.
            throw Refused(StatusCodes.Status409Conflict, DomainError.Conflict(
                $"E-mail '{who.Email.Trim()}' belongs to an existing account: sign in with its password and link '{who.Provider}' from there", "email"));
        }

        var username = await FreeUsername(session, who.Username.Trim(), ct);
        // The registration rules, with a stand-in password that is never hashed: an SSO account has no password until
        // its user sets one (changePassword without the old one).
        var input = new RegisterUser(username, who.Email, new string('-', Registration.MaxPasswordLength), null, null, null, null, Role.USER);
        var policy = director.Value.Registration;
        if (Registration.Validate(input, policy) is { } invalid) throw Refused(StatusCodes.Status400BadRequest, invalid);

        var registered = Registration.Decide(input, policy, Guid.CreateVersion7(), passwordHash: "", clock.GetUtcNow());
        return RegisterHandler.Open(session, registered, [new SsoIdentityLinked(who.Provider, who.Issuer, who.Subject)], director.Value, contexts, log);
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

    private static SsoException Refused(int status, DomainError error) => new(status, error);
}
