using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Dashboard;

/// <summary>The browser session (README, "Browser sessions") spoken with plain HTTP, as another site would try it.</summary>
public sealed class CookieSessionTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task signing_in_sets_an_httponly_samesite_strict_cookie_that_signs_in_graphql_requests()
    {
        var user = await app.NewUser();
        using var response = await SignIn(user);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("conpaas_session=cps_", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);

        var me = await Post(CookieOf(response), "{ me { username } }", csrf: true);
        Assert.Equal(user.Username, me["data"]!["me"]!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_cookie_signed_post_without_the_csrf_header_is_refused_and_changes_nothing()
    {
        var user = await app.NewUser();
        using var signIn = await SignIn(user);
        var cookie = CookieOf(signIn);

        using var forged = Request(cookie, "mutation { createApplication(name: \"forged\") { id } }", csrf: false);
        using var response = await app.Client().Http.SendAsync(forged, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal("FORBIDDEN", body["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Empty((await user.Ok("{ applications { id } }"))["applications"]!.AsArray());

        // A GET carries no mutation, so it needs no header (and a cross-site page cannot read its answer).
        using var get = new HttpRequestMessage(HttpMethod.Get, "/graphql?query=%7Bme%7Busername%7D%7D");
        get.Headers.Add("Cookie", cookie);
        using var answer = await app.Client().Http.SendAsync(get, Ct);
        Assert.Contains(user.Username!, await answer.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task signing_in_refuses_bad_credentials_missing_fields_and_requests_without_the_csrf_header()
    {
        var user = await app.NewUser();
        var http = app.Client().Http;

        using var wrong = await SignIn(user, password: "not-the-password");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));
        Assert.Equal("UNAUTHENTICATED", (await ErrorOf(wrong))["extensions"]!["code"]!.GetValue<string>());

        using var missing = new HttpRequestMessage(HttpMethod.Post, "/session") { Content = JsonContent.Create(new { username = user.Username }) };
        missing.Headers.Add("X-Conpaas-Csrf", "1");
        using var missingAnswer = await http.SendAsync(missing, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, missingAnswer.StatusCode);
        Assert.Equal("password", (await ErrorOf(missingAnswer))["extensions"]!["field"]!.GetValue<string>());

        // A cross-site form can post text/plain that looks like JSON, but cannot add the header.
        using var form = new HttpRequestMessage(HttpMethod.Post, "/session")
        {
            Content = new StringContent($$"""{"username":"{{user.Username}}","password":"password-{{user.Username}}"}""", Encoding.UTF8, "text/plain"),
        };
        using var formAnswer = await http.SendAsync(form, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, formAnswer.StatusCode);
        Assert.False(formAnswer.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task signing_out_revokes_the_session_and_clears_the_cookie()
    {
        var user = await app.NewUser();
        using var signIn = await SignIn(user);
        var cookie = CookieOf(signIn);

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, "/session");
        signOut.Headers.Add("Cookie", cookie);
        signOut.Headers.Add("X-Conpaas-Csrf", "1");
        using var response = await app.Client().Http.SendAsync(signOut, Ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains("conpaas_session=;", Assert.Single(response.Headers.GetValues("Set-Cookie")));

        // The old cookie, replayed, no longer signs anyone in.
        var after = await Post(cookie, "{ applications { id } }", csrf: true);
        Assert.Equal("UNAUTHENTICATED", after["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_websocket_signed_in_by_the_cookie_must_come_from_the_directors_own_origin()
    {
        var user = await app.NewUser();
        using var signIn = await SignIn(user);
        var cookie = CookieOf(signIn);

        using var foreign = Socket(cookie, "https://evil.example");
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => foreign.ConnectAsync(WebSocketUri, Ct));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.HttpStatusCode);

        using var own = Socket(cookie, app.BaseAddress.GetLeftPart(UriPartial.Authority));
        await own.ConnectAsync(WebSocketUri, Ct);
        await SendText(own, """{"type":"connection_init"}""");
        Assert.Contains("connection_ack", await ReceiveText(own));
        await SendText(own, """{"id":"1","type":"subscribe","payload":{"query":"{ me { username } }"}}""");
        Assert.Contains($"\"username\":\"{user.Username}\"", await ReceiveText(own));
    }

    [Fact]
    public async Task the_dashboard_is_served_with_cache_headers_and_client_routes_fall_back_to_it()
    {
        var http = app.Client().Http;
        using var index = await http.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("no-cache", index.Headers.CacheControl!.ToString());
        Assert.Contains("default-src 'self'", index.Headers.GetValues("Content-Security-Policy").Single());
        var html = await index.Content.ReadAsStringAsync(Ct);
        var script = System.Text.RegularExpressions.Regex.Match(html, "/assets/app-[A-Z0-9]+\\.js").Value;

        using var asset = await http.GetAsync(script, Ct);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl!.ToString());

        using var route = await http.GetAsync("/apps/01a23a27-b5df-7e0e-a885-a3f0f0935be5", Ct);
        Assert.Equal(html, await route.Content.ReadAsStringAsync(Ct));
        foreach (var path in new[] { "/graphql/nothing", "/ca/nothing", "/agents/nothing", "/assets/missing.js", "/health/x" })
        {
            using var server = await http.GetAsync(path, Ct);
            Assert.True(server.StatusCode == HttpStatusCode.NotFound, $"{path}: {server.StatusCode}");
        }
    }

    private Uri WebSocketUri => new UriBuilder(app.BaseAddress) { Scheme = "ws", Path = "/graphql" }.Uri;

    private Task<HttpResponseMessage> SignIn(GraphQLClient user, string? password = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/session")
        {
            Content = JsonContent.Create(new { username = user.Username, password = password ?? "password-" + user.Username }),
        };
        request.Headers.Add("X-Conpaas-Csrf", "1");
        return app.Client().Http.SendAsync(request, Ct);
    }

    private static string CookieOf(HttpResponseMessage response) => response.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

    private static HttpRequestMessage Request(string cookie, string query, bool csrf)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query }) };
        request.Headers.Add("Cookie", cookie);
        if (csrf) request.Headers.Add("X-Conpaas-Csrf", "1");
        return request;
    }

    private async Task<JsonNode> Post(string cookie, string query, bool csrf)
    {
        using var request = Request(cookie, query, csrf);
        using var response = await app.Client().Http.SendAsync(request, Ct);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
    }

    private static async Task<JsonNode> ErrorOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["errors"]![0]!;

    private static ClientWebSocket Socket(string cookie, string origin)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-transport-ws");
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Cookie", cookie);
        socket.Options.SetRequestHeader("Origin", origin);
        return socket;
    }

    private static Task SendText(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Ct);

    private static async Task<string> ReceiveText(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
