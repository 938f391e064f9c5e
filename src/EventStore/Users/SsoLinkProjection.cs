using Conpaas.Domain.Users;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace Conpaas.EventStore.Users;

/// <summary>Which user an OpenID Connect identity signs in as, found by issuer + subject.</summary>
public sealed class SsoLinkView
{
    /// <summary><see cref="SsoLinkProjection.KeyOf"/>: the primary key makes one identity link to one user only.</summary>
    public string Id { get; set; } = "";
    public Guid UserId { get; set; }
    public string Provider { get; set; } = "";
}

/// <summary>Keeps <see cref="SsoLinkView"/> in step with the user streams, in the same transaction as the event.</summary>
public sealed partial class SsoLinkProjection : EventProjection
{
    // It inserts (see Project), so a rebuild must delete the links first: Marten's teardown does.
    public SsoLinkProjection() => Options.DeleteViewTypeOnTeardown<SsoLinkView>();

    /// <summary>An issuer is a URL (no spaces), so the first space ends it.</summary>
    public static string KeyOf(string issuer, string subject) => issuer + " " + subject;

    // Insert, not upsert: of two racing first sign-ins of one identity, the second fails on the primary key.
    public void Project(IEvent<SsoIdentityLinked> e, IDocumentOperations ops) =>
        ops.Insert(new SsoLinkView { Id = KeyOf(e.Data.Issuer, e.Data.Subject), UserId = e.StreamId, Provider = e.Data.Provider });
}
