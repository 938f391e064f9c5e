using System.Text.Json;
using Conpaas.Domain;
using Wolverine;

namespace Conpaas.Api.Identity;

/// <summary>
/// Browser sessions (README, Security: "Browser sessions"). The dashboard never holds a token: POST /session signs in
/// with the same code as the <c>login</c> mutation and puts the Director's session token in an HttpOnly,
/// SameSite=Strict cookie that no script in the page can read; DELETE /session logs out. A request to /graphql
/// without an Authorization header is authenticated by that cookie, provided it cannot have been forged by another
/// site (<see cref="SessionAuthentication"/> reads it; this refuses the forged ones first): an HTTP POST must carry <see cref="CsrfHeader"/> (a cross-site form cannot send a custom header, and the
/// Director answers no CORS preflight), a WebSocket upgrade must come from the Director's own origin.
/// </summary>
public static class CookieSessions
{
    public const string CookieName = "conpaas_session";
    public const string CsrfHeader = "X-Conpaas-Csrf";

    public static WebApplication MapCookieSessions(this WebApplication app)
    {
        app.Use(RefuseForgedCookieRequests);
        app.MapPost("/session", SignIn);
        app.MapDelete("/session", SignOut);
        return app;
    }

    /// <summary>A request to /graphql that the cookie would sign in, but that another site could have sent.</summary>
    private static async Task RefuseForgedCookieRequests(HttpContext http, Func<Task> next)
    {
        if (http.Request.Path.StartsWithSegments("/graphql")
            && string.IsNullOrEmpty(http.Request.Headers.Authorization)
            && http.Request.Cookies[CookieName] is { Length: > 0 }
            && (http.WebSockets.IsWebSocketRequest ? !FromOwnOrigin(http.Request) : MayChangeState(http.Request) && !HasCsrfHeader(http.Request)))
        {
            await Refuse(http, StatusCodes.Status403Forbidden, DomainError.Forbidden(http.WebSockets.IsWebSocketRequest
                ? "A WebSocket signed in by the session cookie must come from the Director's own origin"
                : $"A request signed in by the session cookie must carry the header '{CsrfHeader}: 1'"));
            return;
        }

        await next();
    }

    private static async Task SignIn(HttpContext http, IMessageContext bus, Caller caller, AnonymousSignIns signIns)
    {
        if (!HasCsrfHeader(http.Request))
        {
            await Refuse(http, StatusCodes.Status403Forbidden, DomainError.Forbidden($"Signing in needs the header '{CsrfHeader}: 1'"));
            return;
        }

        if (!http.Request.HasJsonContentType())
        {
            await Refuse(http, StatusCodes.Status415UnsupportedMediaType,
                new DomainError(ErrorCode.INVALID_INPUT, "Send the username and password as application/json"));
            return;
        }

        string? username = null, password = null;
        try
        {
            using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            if (body.RootElement.ValueKind == JsonValueKind.Object)
            {
                username = StringProperty(body.RootElement, "username");
                password = StringProperty(body.RootElement, "password");
            }
        }
        catch (JsonException)
        {
            // Malformed JSON reads as missing fields.
        }

        if (string.IsNullOrWhiteSpace(username) || string.IsNullOrEmpty(password))
        {
            await Refuse(http, StatusCodes.Status400BadRequest, DomainError.Missing(string.IsNullOrWhiteSpace(username) ? "username" : "password"));
            return;
        }

        SessionResult session;
        try
        {
            session = await LoginHandler.Send(bus, caller, signIns, username, password, http.RequestAborted);
        }
        catch (DomainException ex)
        {
            await Refuse(http, ex.Error.Code switch
            {
                ErrorCode.UNAUTHENTICATED => StatusCodes.Status401Unauthorized,
                ErrorCode.RATE_LIMITED => StatusCodes.Status429TooManyRequests,
                _ => StatusCodes.Status400BadRequest,
            }, ex.Error);
            return;
        }

        SetCookie(http, session);
        await http.Response.WriteAsJsonAsync(new { username = session.User.Username, expiresAt = session.ExpiresAt }, http.RequestAborted);
    }

    /// <summary>Gives the browser a session started by a password (above) or an identity provider (Sso/).</summary>
    public static void SetCookie(HttpContext http, SessionResult session) =>
        http.Response.Cookies.Append(CookieName, session.Token, Options(http, session.ExpiresAt));

    private static async Task SignOut(HttpContext http, IMessageContext bus)
    {
        if (http.Request.Cookies[CookieName] is { Length: > 0 } && await SessionAuthentication.SignIn(http) is { User: { } user, SessionId: { } session } caller)
            await caller.Stamp(bus).InvokeAsync(new Logout(user.Id, session), http.RequestAborted);

        http.Response.Cookies.Delete(CookieName, Options(http, null));
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static CookieOptions Options(HttpContext http, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = http.Request.IsHttps,
        Path = "/",
        Expires = expires,
    };

    private static bool MayChangeState(HttpRequest request) => !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method);

    private static bool HasCsrfHeader(HttpRequest request) => request.Headers[CsrfHeader] == "1";

    private static bool FromOwnOrigin(HttpRequest request) =>
        string.Equals(request.Headers.Origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);

    private static string? StringProperty(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The same shape as a GraphQL error, so that a client reads every refusal the same way.</summary>
    internal static Task Refuse(HttpContext http, int status, DomainError error)
    {
        http.Response.StatusCode = status;
        var extensions = new Dictionary<string, object?>(error.Extensions) { ["code"] = error.Code.ToString() };
        if (error.Field is not null) extensions["field"] = error.Field;
        return http.Response.WriteAsJsonAsync(new { errors = new[] { new { message = error.Message, extensions } } }, http.RequestAborted);
    }
}
