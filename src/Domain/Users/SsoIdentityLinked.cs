namespace Conpaas.Domain.Users;

/// <summary>
/// From now on the OpenID Connect identity <see cref="Issuer"/> + <see cref="Subject"/> signs in as this user (the
/// original's <c>uuid</c>/<c>openid</c> fields). <see cref="Provider"/> is the Director's name for the issuer.
/// </summary>
public sealed record SsoIdentityLinked(string Provider, string Issuer, string Subject) : IDomainEvent;
