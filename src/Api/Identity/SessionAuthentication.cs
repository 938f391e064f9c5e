using System.Runtime.ExceptionServices;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity;

/// <summary>
/// The Director's session tokens as an ASP.NET Core authentication scheme: the token of the Authorization header, or
/// else of the browser session's cookie, signs in the request's <see cref="Caller"/> and <see cref="HttpContext.User"/>
/// at once. A presented token that is invalid, expired or revoked is no error by itself: the request runs anonymously
/// and a field that needs a user answers UNAUTHENTICATED with the reason (<see cref="Caller.RequireUser"/>).
/// The WebSocket transport signs in each operation with the same <see cref="Authenticator"/>, from connection_init.
/// </summary>
public sealed class SessionAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    Authenticator authenticator,
    Caller caller)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Session";

    /// <summary>Authenticates the request (once: the handler keeps its result) and returns its caller. Called by the
    /// endpoints when the request is known to be well-formed, rather than by a middleware for every request: a
    /// malformed request is refused without a database read, and an unreachable database is the endpoint's 503.</summary>
    public static async Task<Caller> SignIn(HttpContext http)
    {
        var result = await http.AuthenticateAsync(SchemeName);
        var caller = http.RequestServices.GetRequiredService<Caller>();
        // A rejected token is the caller's state; anything else (the database) is the endpoint's to answer.
        if (result.Failure is { } failure && caller.RejectedBecause is null) ExceptionDispatchInfo.Throw(failure);
        if (result.Principal is { } principal) http.User = principal;
        return caller;
    }

    /// <summary>"Bearer &lt;token&gt;": the Authorization header, or the browser session's cookie without one
    /// (<see cref="CookieSessions"/> has refused a request that another site could have forged).</summary>
    public static string? Credentials(HttpRequest request) =>
        !string.IsNullOrEmpty(request.Headers.Authorization) ? request.Headers.Authorization.ToString()
        : request.Cookies[CookieSessions.CookieName] is { Length: > 0 } token ? "Bearer " + token
        : null;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        await authenticator.Authenticate(Credentials(Request), caller, Context.RequestAborted);
        if (caller.User is not { } user)
            return caller.RejectedBecause is { } reason ? AuthenticateResult.Fail(reason) : AuthenticateResult.NoResult();

        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new Claim(ClaimTypes.Name, user.Username),
            new Claim(ClaimTypes.Role, user.Role.ToString()),
            new Claim("sid", caller.SessionId.ToString()!),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
