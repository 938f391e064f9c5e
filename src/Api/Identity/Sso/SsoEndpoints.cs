using Conpaas.Domain;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Identity.Sso;

/// <summary>
/// The browser's side of federated sign-in (README, "Signing in with an identity provider"). GET /sso/{provider}/start
/// sends the browser to the provider; GET /sso/{provider}/callback finishes there and gives the browser the dashboard's
/// session cookie (or a waiting CLI a one-time code for the ssoLogin mutation, or links the provider to the signed-in
/// user). The GraphQL API never accepts a provider's token, only the Director's own.
/// </summary>
public static class SsoEndpoints
{
    /// <summary>Ties a sign-in to the browser that started it. Lax: the provider's redirect back is a cross-site navigation.</summary>
    public const string BindingCookie = "conpaas_sso";

    public static WebApplicationBuilder AddSso(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IValidateOptions<SsoOptions>, SsoOptionsValidator>();
        builder.Services.AddOptions<SsoOptions>().BindConfiguration(SsoOptions.Section).ValidateOnStart();
        builder.Services.AddHttpClient(SsoProviders.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton<SsoProviders>();
        builder.Services.AddScoped<SsoSignIns>();
        builder.Services.ConfigureMarten(opts =>
        {
            opts.Schema.For<SsoAttempt>().Index(x => x.ExpiresAt);
            opts.Schema.For<SsoHandoff>().Index(x => x.ExpiresAt);
        });
        return builder;
    }

    public static WebApplication MapSso(this WebApplication app)
    {
        app.MapGet("/sso/{provider}/start", Start);
        app.MapGet("/sso/{provider}/callback", Callback);
        return app;
    }

    /// <summary>?cli=http://127.0.0.1:port/ for <c>cps login --sso</c>; ?link=true links the provider to the browser's signed-in user.</summary>
    private static async Task Start(HttpContext http, string provider, string? cli, bool? link, SsoSignIns sso, Authenticator authenticator, Caller caller)
    {
        await Answer(http, async () =>
        {
            Guid? linkUser = null;
            if (link == true)
            {
                // The session cookie is SameSite=Strict: another site cannot make a signed-in browser link a provider.
                if (http.Request.Cookies[CookieSessions.CookieName] is { Length: > 0 } token)
                    await authenticator.Authenticate("Bearer " + token, caller, http.RequestAborted);
                linkUser = caller.User?.Id ?? throw new SsoException(StatusCodes.Status401Unauthorized,
                    DomainError.Unauthenticated("Sign in to the dashboard first: linking a provider needs the browser's session"));
            }

            var start = await sso.Start(provider, linkUser, cli, http.RequestAborted);
            http.Response.Cookies.Append(BindingCookie, start.Binding, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                Path = "/sso",
                MaxAge = TimeSpan.FromHours(1),
            });
            http.Response.Redirect(start.Url);
        });
    }

    private static async Task Callback(HttpContext http, string provider, string? state, string? code, string? error, SsoSignIns sso)
    {
        await Answer(http, async () =>
        {
            var outcome = await sso.Finish(provider, state, code, error, http.Request.Cookies[BindingCookie], http.RequestAborted);
            http.Response.Cookies.Delete(BindingCookie, new CookieOptions { Path = "/sso" });
            if (outcome.CliRedirect is { } cli)
            {
                http.Response.Redirect(cli);
                return;
            }

            if (outcome.Session is { } session) CookieSessions.SetCookie(http, session);
            // The dashboard's page needs no cookie itself; its requests to /graphql are same-site, so they carry the
            // SameSite=Strict session cookie even though this navigation began at the provider.
            http.Response.Redirect("/");
        });
    }

    private static async Task Answer(HttpContext http, Func<Task> act)
    {
        try
        {
            await act();
        }
        catch (SsoException ex)
        {
            await CookieSessions.Refuse(http, ex.Status, ex.Error);
        }
        catch (DomainException ex)
        {
            await CookieSessions.Refuse(http, ex.Error.Code == ErrorCode.RATE_LIMITED ? StatusCodes.Status429TooManyRequests : StatusCodes.Status400BadRequest, ex.Error);
        }
    }
}
