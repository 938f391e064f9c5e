using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions.Transport;

/// <summary>graphql-sse in distinct connections mode (shared/notes/graphql.md §2c), with raw HTTP requests.</summary>
public sealed class SseTransportTests(WsApp app) : IClassFixture<WsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpRequestMessage Request(HttpMethod method, string? body, string? token = null, string query = "")
    {
        var request = new HttpRequestMessage(method, "/graphql" + query);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static string Body(string query) => new System.Text.Json.Nodes.JsonObject { ["query"] = query }.ToJsonString();

    private async Task<(HttpResponseMessage Response, string Body)> Send(HttpRequestMessage request)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var response = await http.SendAsync(request, Ct);
        return (response, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task a_query_is_one_next_event_then_complete_with_the_stream_headers()
    {
        var (response, body) = await Send(Request(HttpMethod.Post, Body("{ version }")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.True(response.Headers.CacheControl?.NoCache, "Cache-Control: no-cache");
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.StartsWith(":\n\n", body);
        Assert.Matches("^:\n\nevent: next\ndata: \\{\"data\":\\{\"version\":\"[0-9.]+\"\\}\\}\n\nevent: complete\ndata:\n\n$", body);
    }

    [Fact]
    public async Task a_query_over_get_works_too()
    {
        var (response, body) = await Send(Request(HttpMethod.Get, null, query: "?query=" + Uri.EscapeDataString("{ version }")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("event: next\ndata: {\"data\":{\"version\"", body);
        Assert.EndsWith("event: complete\ndata:\n\n", body);
    }

    [Fact]
    public async Task a_mutation_over_post_runs_as_the_header_user()
    {
        var user = await app.NewUser();
        var (response, body) = await Send(Request(HttpMethod.Post, Body("mutation { createApplication(name: \"over-sse\") { name } }"), user.Token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"name\":\"over-sse\"", body);
        Assert.EndsWith("event: complete\ndata:\n\n", body);
    }

    [Fact]
    public async Task a_mutation_over_get_is_405_json()
    {
        var (response, body) = await Send(Request(HttpMethod.Get, null,
            query: "?query=" + Uri.EscapeDataString("mutation { createApplication(name: \"x\") { id } }")));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("POST", response.Content.Headers.Allow);
        Assert.Contains("INVALID_INPUT", body);
        Assert.DoesNotContain("\"data\"", body);
    }

    [Theory]
    [InlineData("{ not json", 400)]
    [InlineData("[1]", 400)]
    [InlineData("{\"query\": 7}", 400)]
    [InlineData("{}", 400)]
    public async Task a_malformed_request_is_answered_with_a_json_error(string body, int status)
    {
        var (response, text) = await Send(Request(HttpMethod.Post, body));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("INVALID_INPUT", text);
    }

    [Fact]
    public async Task a_validation_error_is_a_next_event_inside_the_stream()
    {
        var (response, body) = await Send(Request(HttpMethod.Post, Body("{ noSuchField }")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var next = body.Split("\n\n").Single(f => f.StartsWith("event: next"));
        Assert.Contains("\"errors\"", next);
        Assert.DoesNotContain("\"data\"", next);
        Assert.EndsWith("event: complete\ndata:\n\n", body);
    }

    [Fact]
    public async Task plain_http_still_refuses_subscriptions()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var response = await http.PostAsync("/graphql",
            new StringContent(Body("subscription { events { type } }"), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task an_anonymous_subscription_gets_unauthenticated_then_complete()
    {
        var (response, body) = await Send(Request(HttpMethod.Post, Body("subscription { events { type } }")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("UNAUTHENTICATED", body);
        Assert.EndsWith("event: complete\ndata:\n\n", body);
    }

    [Fact]
    public async Task events_stream_live_and_closing_the_connection_ends_the_subscription()
    {
        var user = await app.NewUser();
        var key = await app.LimiterKey(user);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        // GET, as a browser's EventSource would send it.
        using var request = Request(HttpMethod.Get, null, user.Token,
            "?query=" + Uri.EscapeDataString("subscription { events(after: 0) { type data } }"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync(Ct);
        var reader = new SseReader(stream);
        var first = await reader.Read();
        Assert.True(first is { IsComment: true }, $"the stream opens with a comment, got {first}");
        await Wait.Until(() => app.Limiter.Active(key) == 1, "the subscription is live");

        await user.Ok("mutation { createApplication(name: \"sse-live\") { id } }");
        while (true)
        {
            var e = await reader.Next();
            Assert.Equal("next", e.Event);
            Assert.Null(e.Json["errors"]);
            if (e.Data.Contains("sse-live"))
            {
                Assert.Equal("ApplicationCreated", e.Json["data"]!["events"]!["type"]!.GetValue<string>());
                break;
            }
        }

        response.Dispose();
        await Wait.Until(() => app.Limiter.Active(key) == 0, "the subscription is disposed when the client goes away");
    }
}
