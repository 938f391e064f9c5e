using System.Runtime.ExceptionServices;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Conpaas.Api.GraphQL;
using Conpaas.EventStore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity;

/// <summary>
/// The Director's session tokens as an ASP.NET Core authentication scheme: the token of the Authorization header, or
/// else of the browser session's cookie, signs in the request's <see cref="Caller"/> and <see cref="HttpContext.User"/>
/// at once. A presented token that is invalid, expired or revoked is no error by itself: the request runs anonymously
/// and a field that needs a user answers UNAUTHENTICATED with the reason (<see cref="Caller.RequireUser"/>).
/// ASP.NET Core's authentication middleware runs it for every request (an agent's "Vm" credentials need no database
/// read to be told apart); the endpoints take the result through <see cref="SignIn"/>.
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

    /// <summary>The request's caller, signed in by the authentication middleware (the handler keeps its result, so
    /// this reads nothing again). An unreachable database is thrown here, for the endpoint to answer its own way
    /// (503 with a GraphQL error for /graphql) once it has refused what is malformed.</summary>
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
        try
        {
            await authenticator.Authenticate(Credentials(Request), caller, Context.RequestAborted);
        }
        catch (Exception ex) when (PostgresErrors.IsDatabaseUnavailable(ex))
        {
            // The middleware runs before every endpoint, which answers this itself when it signs in (SignIn).
            return AuthenticateResult.Fail(ex);
        }

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
