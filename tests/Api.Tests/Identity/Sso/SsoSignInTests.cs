using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Marten;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Identity.Sso;

/// <summary>
/// Signing in with an OpenID Connect provider (README, "Signing in with an identity provider") against a real one,
/// driven as a browser would: the code flow with PKCE, state and nonce, from /sso/test/start to the dashboard's cookie.
/// </summary>
public sealed class SsoSignInTests(SsoApp app) : IClassFixture<SsoApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewLogin(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task a_first_sign_in_registers_the_user_with_the_registration_credit_and_the_next_one_finds_them()
    {
        var login = NewLogin("alice");
        using var browser = app.Browser();

        using var callback = await SignInWithProvider(browser, login);

        AssertSignedIn(callback);
        var cookie = Assert.Single(callback.Headers.GetValues("Set-Cookie"), c => c.StartsWith("conpaas_session=cps_"));
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var me = (await Me(browser))!;
        Assert.Equal(login, me["username"]!.GetValue<string>());
        Assert.Equal($"{login}@example.org", me["email"]!.GetValue<string>());
        Assert.Equal(50, me["credit"]!.GetValue<int>());

        using var again = app.Browser();
        using var second = await SignInWithProvider(again, login);
        AssertSignedIn(second);
        Assert.Equal(me["id"]!.GetValue<string>(), (await Me(again))!["id"]!.GetValue<string>());
        var users = (await (await app.Admin()).Ok("{ users { username } }"))["users"]!.AsArray();
        Assert.Single(users, u => u!["username"]!.GetValue<string>().StartsWith(login));
    }

    [Fact]
    public async Task the_link_is_an_event_on_the_users_stream()
    {
        var login = NewLogin("erin");
        using var browser = app.Browser();
        using var callback = await SignInWithProvider(browser, login);
        var id = (await Me(browser))!["id"]!.GetValue<string>();

        var history = await (await app.Admin()).Ok("""
            query($id: ID!) { history(entityId: $id) { events { type data } } }
            """, new { id });
        var linked = Assert.Single(history["history"]!["events"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "SsoIdentityLinked");
        Assert.Contains(login, linked!["data"]!.ToJsonString());
        Assert.Contains(app.Provider.Issuer.ToString().TrimEnd('/'), linked["data"]!.ToJsonString());
    }

    [Fact]
    public async Task a_callback_with_a_wrong_state_is_refused_and_the_real_one_still_works()
    {
        using var browser = app.Browser();
        var back = await ProviderSignIn(browser, NewLogin("bob"));

        var query = QueryHelpers.ParseQuery(back.Query);
        var forged = QueryHelpers.AddQueryString(back.GetLeftPart(UriPartial.Path), new Dictionary<string, string?>
        {
            ["code"] = query["code"], ["state"] = "not-the-state",
        });
        using var refused = await browser.GetAsync(forged, Ct);
        await AssertRefused(refused, HttpStatusCode.BadRequest, "INVALID_INPUT", "start again");
        Assert.Null(await Me(browser));

        using var real = await browser.GetAsync(back, Ct);
        AssertSignedIn(real);
        Assert.NotNull(await Me(browser));
    }

    [Fact]
    public async Task a_callback_in_another_browser_than_the_one_that_started_is_refused()
    {
        using var victim = app.Browser();
        // The victim's browser has a sign-in of its own under way, so it holds a binding cookie too.
        using (var own = await victim.GetAsync("/sso/test/start", Ct)) Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);
        // The attacker's own sign-in, whose callback address is handed to another browser (login CSRF).
        using var attacker = app.Browser();
        var back = await ProviderSignIn(attacker, NewLogin("mallory"));

        using var refused = await victim.GetAsync(back, Ct);

        await AssertRefused(refused, HttpStatusCode.BadRequest, "INVALID_INPUT", "another browser");
        Assert.Null(await Me(victim));
    }

    [Fact]
    public async Task a_replayed_callback_and_a_reused_code_are_refused_clearly()
    {
        using var browser = app.Browser();
        var back = await ProviderSignIn(browser, NewLogin("carol"));
        using var first = await browser.GetAsync(back, Ct);
        AssertSignedIn(first);

        using var replay = await browser.GetAsync(back, Ct);
        await AssertRefused(replay, HttpStatusCode.BadRequest, "INVALID_INPUT", "already finished");

        // A fresh sign-in (its own state and verifier) carrying the code already redeemed: the provider refuses it.
        using var other = app.Browser();
        var fresh = QueryHelpers.ParseQuery((await ProviderSignIn(other, NewLogin("carol"))).Query);
        var reused = QueryHelpers.AddQueryString(back.GetLeftPart(UriPartial.Path), new Dictionary<string, string?>
        {
            ["code"] = QueryHelpers.ParseQuery(back.Query)["code"], ["state"] = fresh["state"],
        });
        using var refused = await other.GetAsync(reused, Ct);
        await AssertRefused(refused, HttpStatusCode.Unauthorized, "UNAUTHENTICATED", "invalid_grant");
        Assert.Null(await Me(other));
    }

    [Fact]
    public async Task a_provider_that_is_down_is_answered_with_a_clear_error_and_nothing_is_written()
    {
        using var browser = app.Browser();

        using var response = await browser.GetAsync("/sso/down/start", Ct);

        await AssertRefused(response, HttpStatusCode.BadGateway, "UNAUTHENTICATED", "'down' cannot be reached");
        Assert.False(response.Headers.Contains("Set-Cookie"));
        using var unknown = await browser.GetAsync("/sso/nobody/start", Ct);
        await AssertRefused(unknown, HttpStatusCode.NotFound, "NOT_FOUND", "No identity provider named 'nobody'");
    }

    [Fact]
    public async Task a_password_user_links_the_provider_and_then_signs_in_with_either()
    {
        var user = await app.NewUser();
        var corporate = NewLogin("corp");
        using var browser = app.Browser();
        using (var session = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/session")
               {
                   Content = JsonContent.Create(new { username = user.Username, password = "password-" + user.Username }),
                   Headers = { { "X-Conpaas-Csrf", "1" } },
               }, Ct))
            Assert.Equal(HttpStatusCode.OK, session.StatusCode);

        var path = (await user.Ok("""mutation { linkSso(provider: "test") }"""))["linkSso"]!.GetValue<string>();
        using var start = await browser.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var back = await OidcProvider.SignIn(browser, start.Headers.Location!, corporate, Ct);
        using var linked = await browser.GetAsync(back, Ct);
        Assert.Equal(HttpStatusCode.Redirect, linked.StatusCode);
        Assert.False(linked.Headers.Contains("Set-Cookie") && linked.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("conpaas_session")));

        using var elsewhere = app.Browser();
        using var viaProvider = await SignInWithProvider(elsewhere, corporate);
        AssertSignedIn(viaProvider);
        Assert.Equal(user.Username, (await Me(elsewhere))!["username"]!.GetValue<string>());
        await app.Client().SignIn(user.Username!, "password-" + user.Username);

        // Without the browser's session nothing is linked.
        using var anonymous = await app.Browser().GetAsync(path, Ct);
        await AssertRefused(anonymous, HttpStatusCode.Unauthorized, "UNAUTHENTICATED", "Sign in to the dashboard first");
    }

    [Fact]
    public async Task a_provider_name_taken_by_a_password_user_gets_a_free_name_never_their_account()
    {
        var name = NewLogin("dave");
        var owner = app.Client();
        await owner.Ok("""mutation($input: RegisterInput!) { register(input: $input) { id } }""",
            new { input = new { username = name, email = $"other-{name}@example.org", password = "password-" + name } });

        using var browser = app.Browser();
        using var callback = await SignInWithProvider(browser, name);

        AssertSignedIn(callback);
        Assert.Equal($"{name}-2", (await Me(browser))!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_provider_email_of_an_existing_account_is_refused_not_linked()
    {
        var existing = await app.NewUser();
        using var browser = app.Browser();

        // The provider's account of that name has the same e-mail (name@example.org) as the password user.
        using var callback = await SignInWithProvider(browser, existing.Username!);

        await AssertRefused(callback, HttpStatusCode.Conflict, "CONFLICT", "belongs to an existing account");
        Assert.Null(await Me(browser));
    }

    [Fact]
    public async Task two_racing_first_sign_ins_of_one_identity_make_one_user()
    {
        var login = NewLogin("race");
        using var one = app.Browser();
        using var two = app.Browser();
        var backOne = await ProviderSignIn(one, login);
        var backTwo = await ProviderSignIn(two, login);

        var answers = await Task.WhenAll(one.GetAsync(backOne, Ct), two.GetAsync(backTwo, Ct));

        Assert.All(answers, AssertSignedIn);
        Assert.Equal((await Me(one))!["id"]!.GetValue<string>(), (await Me(two))!["id"]!.GetValue<string>());
        var users = (await (await app.Admin()).Ok("{ users { username } }"))["users"]!.AsArray();
        Assert.Single(users, u => u!["username"]!.GetValue<string>().StartsWith(login));
    }

    [Fact]
    public async Task the_cli_loopback_flow_hands_over_a_director_token_once()
    {
        var login = NewLogin("cli");
        using var browser = app.Browser();
        using var start = await browser.GetAsync("/sso/test/start?cli=" + Uri.EscapeDataString("http://127.0.0.1:40123/done"), Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var back = await OidcProvider.SignIn(browser, start.Headers.Location!, login, Ct);
        using var callback = await browser.GetAsync(back, Ct);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var loopback = callback.Headers.Location!;
        Assert.StartsWith("http://127.0.0.1:40123/done?code=", loopback.ToString());
        Assert.False(callback.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("conpaas_session")));
        var code = QueryHelpers.ParseQuery(loopback.Query)["code"].ToString();

        var cli = app.Client();
        var session = (await cli.Ok("""mutation($code: String!) { ssoLogin(code: $code) { token user { username } } }""", new { code }))["ssoLogin"]!;
        Assert.Equal(login, session["user"]!["username"]!.GetValue<string>());
        var me = await app.Client(session["token"]!.GetValue<string>()).Ok("{ me { username } }");
        Assert.Equal(login, me["me"]!["username"]!.GetValue<string>());

        var twice = await cli.Fails("UNAUTHENTICATED", """mutation($code: String!) { ssoLogin(code: $code) { token } }""", new { code });
        Assert.Contains("sign in again", twice.ToJsonString());
        using var elsewhere = await browser.GetAsync("/sso/test/start?cli=" + Uri.EscapeDataString("http://attacker.example/"), Ct);
        await AssertRefused(elsewhere, HttpStatusCode.BadRequest, "INVALID_INPUT", "loopback");
    }

    [Fact]
    public async Task a_cli_sign_in_that_fails_tells_the_waiting_cli_why()
    {
        var existing = await app.NewUser();
        using var browser = app.Browser();
        using var start = await browser.GetAsync("/sso/test/start?cli=" + Uri.EscapeDataString("http://127.0.0.1:40123/"), Ct);
        var back = await OidcProvider.SignIn(browser, start.Headers.Location!, existing.Username!, Ct);

        using var callback = await browser.GetAsync(back, Ct);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var error = QueryHelpers.ParseQuery(callback.Headers.Location!.Query)["error"].ToString();
        Assert.Contains("belongs to an existing account", error);
    }

    [Fact]
    public async Task the_graphql_api_lists_the_providers_without_their_settings_and_accepts_only_director_tokens()
    {
        var providers = await app.Client().Ok("{ ssoProviders { name displayName } }");

        Assert.Equal("""[{"name":"down","displayName":"down"},{"name":"expiring","displayName":"expiring"},{"name":"test","displayName":"Test organisation"}]""",
            providers["ssoProviders"]!.ToJsonString());
        // The provider's client secret is nowhere in the schema's answers, and a provider's token is no Director token.
        Assert.DoesNotContain(OidcProvider.ClientSecret, providers.ToJsonString());
        var refused = await app.Client("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").Send("{ applications { id } }");
        Assert.Equal("UNAUTHENTICATED", refused.Errors![0]!["extensions"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_code_flow_sends_a_pkce_challenge_that_the_provider_requires()
    {
        using var browser = app.Browser();

        using var start = await browser.GetAsync("/sso/test/start", Ct);

        // The provider requires PKCE of this client (tests/js/oidc-provider.mjs): the sign-ins above prove the verifier.
        var query = QueryHelpers.ParseQuery(start.Headers.Location!.Query);
        Assert.Equal("S256", query["code_challenge_method"].ToString());
        Assert.Equal(43, query["code_challenge"].ToString().Length);
        Assert.Equal("code", query["response_type"].ToString());
    }

    [Fact]
    public async Task an_expired_code_is_refused_clearly_and_creates_neither_a_session_nor_a_user()
    {
        var login = NewLogin("late");
        using var browser = app.Browser();
        using var start = await browser.GetAsync("/sso/expiring/start", Ct);
        var back = await OidcProvider.SignIn(browser, start.Headers.Location!, login, Ct);

        // The "expiring" client's codes live 1 second at the provider: the browser comes back after it.
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct);
        using var callback = await browser.GetAsync(back, Ct);

        await AssertRefused(callback, HttpStatusCode.Unauthorized, "UNAUTHENTICATED", "it may have expired");
        Assert.False(callback.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("conpaas_session")));
        Assert.Null(await Me(browser));
        var users = (await (await app.Admin()).Ok("{ users { username } }"))["users"]!.AsArray();
        Assert.DoesNotContain(users, u => u!["username"]!.GetValue<string>().StartsWith(login));
    }

    [Fact]
    public async Task a_user_registered_by_the_provider_gets_the_default_application_in_the_same_commit()
    {
        using var browser = app.Browser();
        using var callback = await SignInWithProvider(browser, NewLogin("frank"));
        AssertSignedIn(callback);

        var answer = (await Graph(browser, "{ me { id } applications { id name } }"))!;

        var only = Assert.Single(answer["applications"]!.AsArray());
        Assert.Equal("default", only!["name"]!.GetValue<string>());
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var registered = (await session.Events.FetchStreamAsync(Guid.Parse(answer["me"]!["id"]!.GetValue<string>()), token: Ct))[0];
        var created = Assert.Single(await session.Events.FetchStreamAsync(Guid.Parse(only["id"]!.GetValue<string>()), token: Ct));
        Assert.Equal(registered.CorrelationId, created.CorrelationId);
        Assert.Equal(registered.UserName, created.UserName);
    }

    [Fact]
    public async Task a_user_registered_by_the_provider_sets_a_first_password_without_an_old_one_and_then_logs_in_with_it()
    {
        var login = NewLogin("gina");
        using var browser = app.Browser();
        using var callback = await SignInWithProvider(browser, login);
        AssertSignedIn(callback);
        // Without a password nothing signs in by name: the stand-in of registration is not one.
        await app.Client().Fails("UNAUTHENTICATED", "mutation($u: String!) { login(username: $u, password: \"" + new string('-', 1024) + "\") { token } }", new { u = login });

        var set = await Graph(browser, """mutation { setPassword(newPassword: "first-password-1") }""");

        Assert.True(set!["setPassword"]!.GetValue<bool>());
        var cli = app.Client();
        await cli.SignIn(login, "first-password-1");
        // From now on the password is needed to change it, however recent the sign-in.
        var again = await cli.Fails("INVALID_INPUT", """mutation { setPassword(newPassword: "second-password-2") }""");
        Assert.Contains("changePassword", again.ToJsonString());
        await cli.Ok("""mutation { changePassword(oldPassword: "first-password-1", newPassword: "second-password-2") }""");
    }

    [Fact]
    public async Task a_password_user_cannot_leave_the_old_password_out()
    {
        var user = await app.NewUser();

        await user.Fails("INVALID_INPUT", """mutation { setPassword(newPassword: "brand-new-password") }""");

        await app.Client().SignIn(user.Username!, "password-" + user.Username);
    }

    [Fact]
    public async Task a_first_password_is_refused_from_a_session_older_than_ten_minutes()
    {
        var login = NewLogin("henry");
        using var browser = app.Browser();
        using var callback = await SignInWithProvider(browser, login);
        AssertSignedIn(callback);
        var token = callback.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("conpaas_session=")).Split(';')[0]["conpaas_session=".Length..];

        // A token stolen from this session and used 11 minutes later (the session itself lives 24 hours).
        app.Clock.Advance(TimeSpan.FromMinutes(11));
        var stolen = app.Client(token);
        var refused = await stolen.Fails("FORBIDDEN", """mutation { setPassword(newPassword: "attacker-password") }""");

        Assert.Contains("sign in with it again", refused.ToJsonString());
        await app.Client().Fails("UNAUTHENTICATED", """mutation($u: String!) { login(username: $u, password: "attacker-password") { token } }""", new { u = login });
        // A fresh sign-in with the provider may set it.
        using var fresh = app.Browser();
        AssertSignedIn(await SignInWithProvider(fresh, login));
        Assert.True((await Graph(fresh, """mutation { setPassword(newPassword: "owner-password") }"""))!["setPassword"]!.GetValue<bool>());
        await app.Client().SignIn(login, "owner-password");
    }

    /// <summary>/sso/test/start in this browser, then the provider's sign-in; returns the provider's redirect back, not followed.</summary>
    private async Task<Uri> ProviderSignIn(HttpClient browser, string login)
    {
        using var start = await browser.GetAsync("/sso/test/start", Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var back = await OidcProvider.SignIn(browser, start.Headers.Location!, login, Ct);
        Assert.StartsWith(new Uri(app.Url, "/sso/test/callback").ToString(), back.ToString());
        return back;
    }

    private async Task<HttpResponseMessage> SignInWithProvider(HttpClient browser, string login) =>
        await browser.GetAsync(await ProviderSignIn(browser, login), Ct);

    /// <summary>The browser's user by its session cookie, or null when it has none.</summary>
    private static async Task<JsonNode?> Me(HttpClient browser) => (await Graph(browser, "{ me { id username email credit } }"))!["me"];

    /// <summary>A GraphQL request signed in by the browser's session cookie, as the dashboard sends it; its data, which has no errors.</summary>
    private static async Task<JsonNode?> Graph(HttpClient browser, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query }),
            Headers = { { "X-Conpaas-Csrf", "1" } },
        };
        using var response = await browser.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.True(body["errors"] is null, body.ToJsonString());
        return body["data"];
    }

    /// <summary>The callback's answer to a browser that signed in: the dashboard, with the session cookie.</summary>
    private static void AssertSignedIn(HttpResponseMessage callback)
    {
        // The answer is buffered already: reading it is no wait.
        if (callback.StatusCode != HttpStatusCode.Redirect)
            Assert.Fail($"{(int)callback.StatusCode}: {callback.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");
        Assert.Equal("/", callback.Headers.Location!.ToString());
        Assert.Contains(callback.Headers.GetValues("Set-Cookie"), c => c.StartsWith("conpaas_session=cps_"));
    }

    private static async Task AssertRefused(HttpResponseMessage response, HttpStatusCode status, string code, string message)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        var error = JsonNode.Parse(body)!["errors"]![0]!;
        Assert.Equal(code, error["extensions"]!["code"]!.GetValue<string>());
        Assert.Contains(message, error["message"]!.GetValue<string>());
    }
}
