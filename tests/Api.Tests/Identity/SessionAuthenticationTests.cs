using System.Net;
using System.Security.Claims;
using Conpaas.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Identity;

/// <summary>
/// Session tokens are an ASP.NET Core authentication scheme: the host's default scheme signs in
/// <see cref="HttpContext.User"/> from the Authorization header or the browser session's cookie, as /graphql does.
/// </summary>
public sealed class SessionAuthenticationTests(SessionAuthenticationTests.WhoAmIApp app) : IClassFixture<SessionAuthenticationTests.WhoAmIApp>
{
    /// <summary>The Director plus GET /test/whoami, which answers what ASP.NET Core's default scheme makes of the request.</summary>
    public sealed class WhoAmIApp : DirectorApp
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new WhoAmI()));
        }

        private sealed class WhoAmI : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                app.Map("/test/whoami", b => b.Run(async http =>
                {
                    var result = await http.AuthenticateAsync();
                    await http.Response.WriteAsync(result.Succeeded
                        ? $"{result.Principal.Identity!.Name} {result.Principal.FindFirstValue(ClaimTypes.Role)}"
                        : result.Failure?.Message ?? "anonymous");
                }));
                next(app);
            };
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_bearer_token_signs_in_the_request_as_its_user()
    {
        var user = await app.NewUser();

        Assert.Equal($"{user.Username} USER", await WhoAmI(authorization: "Bearer " + user.Token));
        Assert.Equal("admin ADMIN", await WhoAmI(authorization: "Bearer " + (await app.Admin()).Token));
    }

    [Fact]
    public async Task the_browser_sessions_cookie_signs_in_through_the_same_scheme()
    {
        var user = await app.NewUser();

        Assert.Equal($"{user.Username} USER", await WhoAmI(cookie: user.Token));
    }

    [Fact]
    public async Task no_token_is_anonymous_and_a_revoked_one_fails_with_its_reason()
    {
        var user = await app.NewUser();
        var token = user.Token!;
        await user.Ok("mutation { logout }");

        Assert.Equal("anonymous", await WhoAmI());
        Assert.Equal("Invalid, expired or revoked token: log in again", await WhoAmI(authorization: "Bearer " + token));
        Assert.Equal("Unsupported authorization scheme: use 'Bearer <token>'", await WhoAmI(authorization: "Basic dTpw"));
    }

    private async Task<string> WhoAmI(string? authorization = null, string? cookie = null)
    {
        using var http = app.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/test/whoami");
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (cookie is not null) request.Headers.Add("Cookie", "conpaas_session=" + cookie);
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Ct);
    }
}
