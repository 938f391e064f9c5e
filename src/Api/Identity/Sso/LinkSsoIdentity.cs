using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.EventStore.Users;
using Marten;
using Wolverine.Marten;

namespace Conpaas.Api.Identity.Sso;

/// <summary>A signed-in user links a provider's identity to their account (the callback of linkSso's start).</summary>
public sealed record LinkSsoIdentity(Guid UserId, SsoIdentity Who);

public static class LinkSsoIdentityHandler
{
    /// <summary>Linked to this user already: nothing to write. The unique link index settles a race with another user (SsoSignIns).</summary>
    public static async Task<(UpdatedAggregate, Events)> Handle(LinkSsoIdentity cmd, [WriteAggregate(Required = false)] User? user, IDocumentSession session,
        ILogger<LinkSsoIdentity> log, CancellationToken ct)
    {
        if (user is null) throw new SsoException(StatusCodes.Status401Unauthorized, DomainError.Unauthenticated("The account to link no longer exists"));
        var who = cmd.Who;
        if (await session.LoadAsync<SsoLinkView>(SsoLinkProjection.KeyOf(who.Issuer, who.Subject), ct) is { } link)
            return link.UserId == user.Id ? (new UpdatedAggregate(), []) : throw LinkedElsewhere(who);
        // The callback that links is signed in by the provider, not by a Director session: the user is who acted.
        session.LastModifiedBy = user.Username;
        ExpectedRaces.Quieten(session, log);
        return (new UpdatedAggregate(), [new SsoIdentityLinked(who.Provider, who.Issuer, who.Subject)]);
    }

    public static SsoException LinkedElsewhere(SsoIdentity who) =>
        new(StatusCodes.Status409Conflict, DomainError.Conflict($"This '{who.Provider}' identity already signs in as another user"));
}
