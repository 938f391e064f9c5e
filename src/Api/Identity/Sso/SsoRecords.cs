namespace Conpaas.Api.Identity.Sso;

/// <summary>
/// A sign-in sent to a provider and not back yet, found by the SHA-256 of its state. It is server-side (not a cookie)
/// so that any node of the Director can finish it; it is taken once, so a replayed callback finds nothing.
/// </summary>
public sealed class SsoAttempt
{
    public string Id { get; set; } = "";
    public string Provider { get; set; } = "";
    public string Nonce { get; set; } = "";
    /// <summary>The PKCE code verifier; only its challenge went to the browser.</summary>
    public string Verifier { get; set; } = "";
    public string RedirectUri { get; set; } = "";
    /// <summary>SHA-256 of the cookie given to the browser that started it: a callback from another browser is refused.</summary>
    public string BindingHash { get; set; } = "";
    /// <summary>Set when a signed-in user links the provider to their account.</summary>
    public Guid? LinkUserId { get; set; }
    /// <summary>The loopback address of a waiting <c>cps login --sso</c>.</summary>
    public string? CliRedirect { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>A finished CLI sign-in waiting for the CLI to collect its session, found by the SHA-256 of a one-time code.</summary>
public sealed class SsoHandoff
{
    public string Id { get; set; } = "";
    public Guid UserId { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
