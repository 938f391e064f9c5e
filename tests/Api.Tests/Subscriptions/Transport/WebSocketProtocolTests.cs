using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Subscriptions;
using Conpaas.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions.Transport;

/// <summary>
/// graphql-transport-ws on /graphql (shared/notes/graphql.md §2b), spoken by a raw ClientWebSocket against the real
/// host: the handshake, every close code and timer, queries and mutations over the socket, and the product's
/// events subscription.
/// </summary>
public sealed class WebSocketProtocolTests(WsApp app) : IClassFixture<WsApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---- handshake -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task the_subprotocol_is_echoed()
    {
        await using var client = await WsClient.Connect(app);
        Assert.Equal("graphql-transport-ws", client.Socket.SubProtocol);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("graphql-ws")]
    public async Task an_upgrade_that_does_not_offer_graphql_transport_ws_is_refused_with_400(string? subprotocol)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (subprotocol is not null) socket.Options.AddSubProtocol(subprotocol);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(app.WebSocketUri, Ct));
        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
    }

    [Fact]
    public async Task a_socket_that_never_sends_connection_init_is_closed_4408()
    {
        await using var client = await WsClient.Connect(app);
        var started = DateTime.UtcNow;
        await client.ExpectClose(4408, "Connection initialisation timeout");
        var waited = DateTime.UtcNow - started;
        Assert.True(waited > WsApp.InitTimeout - TimeSpan.FromMilliseconds(200) && waited < WsApp.InitTimeout + TimeSpan.FromSeconds(5),
            $"closed after {waited}, the configured init timeout is {WsApp.InitTimeout}");
    }

    [Fact]
    public async Task a_second_connection_init_is_closed_4429()
    {
        await using var client = await WsClient.Ready(app);
        await client.Send(new JsonObject { ["type"] = "connection_init" });
        await client.ExpectClose(4429, "Too many initialisation requests");
    }

    [Theory]
    [InlineData("Bearer not-a-real-token")]
    [InlineData("Basic dXNlcjpwYXNz")]
    public async Task a_bad_token_is_closed_4403(string authorization)
    {
        await using var client = await WsClient.Connect(app);
        await client.Send(new JsonObject { ["type"] = "connection_init", ["payload"] = new JsonObject { ["authorization"] = authorization } });
        await client.ExpectClose(4403, "Forbidden");
    }

    [Fact]
    public async Task a_revoked_token_is_closed_4403()
    {
        var user = await app.NewUser();
        await user.Ok("mutation { logout }");
        await using var client = await WsClient.Connect(app);
        await client.Send(new JsonObject { ["type"] = "connection_init", ["payload"] = new JsonObject { ["authorization"] = "Bearer " + user.Token } });
        await client.ExpectClose(4403, "Forbidden");
    }

    [Fact]
    public async Task subscribe_before_the_ack_is_closed_4401()
    {
        await using var client = await WsClient.Connect(app);
        await client.Subscribe("1", "{ version }");
        await client.ExpectClose(4401, "Unauthorized");
    }

    // ---- invalid messages ------------------------------------------------------------------------------------------

    public static TheoryData<string, string> InvalidMessages => new()
    {
        { "not json", "not JSON" },
        { "[1, 2]", "JSON object" },
        { "42", "JSON object" },
        { """{"id":"1"}""", "'type'" },
        { """{"type":7}""", "'type'" },
        { """{"type":"hello"}""", "unknown type" },
        { """{"type":"subscribe","payload":{"query":"{ version }"}}""", "'id'" },
        { """{"type":"subscribe","id":"","payload":{"query":"{ version }"}}""", "'id'" },
        { """{"type":"subscribe","id":7,"payload":{"query":"{ version }"}}""", "'id'" },
        { """{"type":"subscribe","id":"1"}""", "payload" },
        { """{"type":"subscribe","id":"1","payload":"{ version }"}""", "payload" },
        { """{"type":"subscribe","id":"1","payload":{"query":7}}""", "query" },
        { """{"type":"subscribe","id":"1","payload":{}}""", "query" },
        { """{"type":"subscribe","id":"1","payload":{"query":"{ version }","variables":[1]}}""", "variables" },
        { """{"type":"subscribe","id":"1","payload":{"query":"{ version }","operationName":5}}""", "operationName" },
        { """{"type":"subscribe","id":"1","payload":{"query":"{ version }","extensions":"x"}}""", "extensions" },
        { """{"type":"complete"}""", "'id'" },
        { """{"type":"ping","payload":"hello"}""", "payload" },
        { """{"type":"next","id":"1","payload":{}}""", "server only" },
        { """{"type":"error","id":"1","payload":[]}""", "server only" },
        { """{"type":"connection_ack"}""", "server only" },
    };

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public async Task an_invalid_message_is_closed_4400_with_a_short_reason(string message, string reasonMentions)
    {
        await using var client = await WsClient.Ready(app);
        await client.SendText(message);
        var close = await client.ExpectClose(4400);
        Assert.Contains(reasonMentions, close.CloseReason);
    }

    [Fact]
    public async Task an_invalid_connection_init_payload_is_closed_4400()
    {
        await using var client = await WsClient.Connect(app);
        await client.SendText("""{"type":"connection_init","payload":[1]}""");
        await client.ExpectClose(4400);
    }

    [Fact]
    public async Task a_binary_frame_is_closed_4400()
    {
        await using var client = await WsClient.Ready(app);
        await client.Socket.SendAsync("""{"type":"ping"}"""u8.ToArray(), WebSocketMessageType.Binary, true, Ct);
        await client.ExpectClose(4400);
    }

    [Fact]
    public async Task a_long_reason_is_cut_to_fit_a_close_frame()
    {
        await using var client = await WsClient.Ready(app);
        await client.Send(new JsonObject { ["type"] = new string('é', 400) });
        var close = await client.ExpectClose(4400);
        Assert.StartsWith("Invalid message: unknown type", close.CloseReason);
        Assert.True(Encoding.UTF8.GetByteCount(close.CloseReason!) <= 123);
    }

    [Fact]
    public async Task a_message_larger_than_the_request_limit_is_closed_1009()
    {
        await using var client = await WsClient.Ready(app);
        await client.Subscribe("big", "{ version }", new { padding = new string('x', 80 * 1024) });
        await client.ExpectClose(1009);
    }

    // ---- ping / pong / keep-alive --------------------------------------------------------------------------------------

    [Fact]
    public async Task a_ping_is_answered_with_a_pong_echoing_its_payload_even_before_init()
    {
        await using var client = await WsClient.Connect(app);
        await client.Send(new JsonObject { ["type"] = "ping", ["payload"] = new JsonObject { ["n"] = 1 } });
        var pong = await client.Receive();
        Assert.Equal("pong", pong.Type);
        Assert.Equal(1, pong.Payload!["n"]!.GetValue<int>());

        await client.Init(null);
        await client.Send(new JsonObject { ["type"] = "ping" });
        var bare = await client.Expect("pong");
        Assert.Null(bare.Payload);
        await client.Send(new JsonObject { ["type"] = "pong", ["payload"] = new JsonObject { ["unsolicited"] = true } });
        await client.Send(new JsonObject { ["type"] = "ping" });
        await client.Expect("pong");
    }

    // ---- queries and mutations -------------------------------------------------------------------------------------

    [Fact]
    public async Task a_query_gives_one_next_then_complete()
    {
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("me", "{ me { username } version }");
        var next = await client.Expect("next", "me");
        Assert.Equal(user.Username, next.Payload!["data"]!["me"]!["username"]!.GetValue<string>());
        Assert.Null(next.Payload["errors"]);
        await client.Expect("complete", "me");
    }

    [Fact]
    public async Task a_mutation_over_the_socket_is_done_as_the_connection_user()
    {
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("m", "mutation($n: String!) { createApplication(name: $n) { id name } }", new { n = "over-ws" });
        var next = await client.Expect("next", "m");
        Assert.Equal("over-ws", next.Payload!["data"]!["createApplication"]!["name"]!.GetValue<string>());
        await client.Expect("complete", "m");

        var apps = await user.Ok("{ applications { name } }");
        Assert.Contains(apps["applications"]!.AsArray(), a => a!["name"]!.GetValue<string>() == "over-ws");
    }

    [Fact]
    public async Task an_anonymous_connection_behaves_like_an_anonymous_http_request()
    {
        await using var client = await WsClient.Ready(app);
        await client.Subscribe("me", "{ me { username } }");
        var me = await client.Expect("next", "me");
        Assert.Null(me.Payload!["data"]!["me"]);
        await client.Expect("complete", "me");

        await client.Subscribe("apps", "{ applications { id } }");
        var apps = await client.Expect("next", "apps");
        Assert.Equal("UNAUTHENTICATED", apps.Payload!["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        await client.Expect("complete", "apps");
    }

    [Fact]
    public async Task operations_after_a_logout_are_unauthenticated_like_http_with_that_token()
    {
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        await user.Ok("mutation { logout }");
        await client.Subscribe("me", "{ me { username } }");
        var me = await client.Expect("next", "me");
        Assert.Null(me.Payload!["data"]!["me"]);
        await client.Expect("complete", "me");
    }

    [Fact]
    public async Task a_validation_error_is_an_error_message_and_no_complete_follows()
    {
        await using var client = await WsClient.Ready(app);
        await client.Subscribe("bad", "{ noSuchField }");
        var error = await client.Expect("error", "bad");
        var errors = error.Payload!.AsArray();
        Assert.NotEmpty(errors);
        Assert.False(string.IsNullOrEmpty(errors[0]!["message"]!.GetValue<string>()));
        Assert.Equal("INVALID_INPUT", errors[0]!["extensions"]!["code"]!.GetValue<string>());

        // The next message is the answer to this ping: nothing else was sent for "bad".
        await client.Send(new JsonObject { ["type"] = "ping", ["payload"] = new JsonObject { ["marker"] = 1 } });
        var pong = await client.Expect("pong");
        Assert.Equal(1, pong.Payload!["marker"]!.GetValue<int>());
    }

    [Fact]
    public async Task an_id_may_be_reused_once_its_operation_completed()
    {
        await using var client = await WsClient.Ready(app);
        for (var i = 0; i < 3; i++)
        {
            await client.Subscribe("same", "{ version }");
            await client.Expect("next", "same");
            await client.Expect("complete", "same");
        }
    }

    [Fact]
    public async Task several_operations_run_side_by_side_on_one_socket()
    {
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        // Two frames each, all fitting the socket's queue (WsApp.MaxQueued) even when this client reads late.
        const int operations = WsApp.MaxQueued / 2 - 1;
        for (var i = 0; i < operations; i++) await client.Subscribe($"q{i}", "{ me { username } }");
        var completed = new HashSet<string>();
        while (completed.Count < operations)
        {
            var frame = await client.Next();
            Assert.True(frame.Type is "next" or "complete", $"unexpected {frame}");
            if (frame.Type == "complete") completed.Add(frame.Id!);
        }
    }

    [Fact]
    public async Task complete_for_an_unknown_id_is_ignored()
    {
        await using var client = await WsClient.Ready(app);
        await client.Complete("never-used");
        await client.Send(new JsonObject { ["type"] = "ping" });
        await client.Expect("pong");
    }

    // ---- subscriptions (the product's events stream) ------------------------------------------------------------------

    [Fact]
    public async Task events_catch_up_then_arrive_live_as_next_messages()
    {
        await RequireEventsSubscription();
        var user = await app.NewUser();
        await user.Ok("mutation { createApplication(name: \"before-subscribe\") { id } }");
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("ev", "subscription { events(after: 0) { sequence type data } }");
        await NextEvent(client, "ev", "before-subscribe");

        await user.Ok("mutation { createApplication(name: \"after-subscribe\") { id } }");
        var live = await NextEvent(client, "ev", "after-subscribe");
        Assert.Equal("ApplicationCreated", live["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_duplicate_active_id_is_closed_4409()
    {
        await RequireEventsSubscription();
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("dup", "subscription { events { type } }");
        await client.Subscribe("dup", "subscription { events { type } }");
        await client.ExpectClose(4409, "Subscriber for dup already exists");
    }

    [Fact]
    public async Task complete_from_the_client_ends_the_subscription_and_nothing_more_is_sent_for_it()
    {
        await RequireEventsSubscription();
        var user = await app.NewUser();
        var key = await app.LimiterKey(user);
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("ev", "subscription { events { type } }");
        await Wait.Until(() => app.Limiter.Active(key) == 1, "the subscription is live");

        await client.Complete("ev");
        await Wait.Until(() => app.Limiter.Active(key) == 0, "the subscription is disposed");
        await user.Ok("mutation { createApplication(name: \"unseen\") { id } }");
        await Task.Delay(500, Ct);
        await client.Send(new JsonObject { ["type"] = "ping" });
        await client.Expect("pong");
    }

    [Fact]
    public async Task closing_the_socket_disposes_every_subscription()
    {
        await RequireEventsSubscription();
        var user = await app.NewUser();
        var key = await app.LimiterKey(user);
        var feed = app.Services.GetRequiredService<EventFeed>();
        var before = feed.SubscriberCount;
        var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("a", "subscription { events { type } }");
        await client.Subscribe("b", "subscription { events { type } }");
        await Wait.Until(() => app.Limiter.Active(key) == 2 && feed.SubscriberCount >= before + 2, "both subscriptions are live");

        await client.DisposeAsync();
        await Wait.Until(() => app.Limiter.Active(key) == 0, "the limiter is released");
        await Wait.Until(() => feed.SubscriberCount <= before, "the feed subscribers are gone");
    }

    [Fact]
    public async Task a_socket_that_drops_without_a_close_handshake_disposes_its_subscriptions()
    {
        await RequireEventsSubscription();
        var user = await app.NewUser();
        var key = await app.LimiterKey(user);
        var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("a", "subscription { events { type } }");
        await Wait.Until(() => app.Limiter.Active(key) == 1, "the subscription is live");

        client.Socket.Abort();
        await Wait.Until(() => app.Limiter.Active(key) == 0, "the limiter is released");
        await client.DisposeAsync();
    }

    [Fact]
    public async Task logging_out_ends_a_subscription_with_unauthenticated()
    {
        await RequireEventsSubscription();
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("ev", "subscription { events { type } }");
        await Wait.Until(() => app.Limiter.Total > 0, "the subscription is live");
        await user.Ok("mutation { logout }");

        while (true)
        {
            var frame = await client.Next();
            Assert.True(frame.Type is "next" or "complete", $"unexpected {frame}");
            if (frame.Type == "complete") break;
            if (frame.Payload!["errors"] is JsonArray errors)
                Assert.Equal("UNAUTHENTICATED", errors[0]!["extensions"]!["code"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task the_subscription_cap_refuses_one_more_with_rate_limited_across_websocket_and_sse()
    {
        await RequireEventsSubscription();
        var user = await app.NewUser();
        var key = await app.LimiterKey(user);
        await using var client = await WsClient.Ready(app, user.Token);
        for (var i = 0; i < WsApp.Cap; i++) await client.Subscribe($"s{i}", "subscription { events { type } }");
        await Wait.Until(() => app.Limiter.Active(key) == WsApp.Cap, "the allowed subscriptions are live");

        await client.Subscribe("over", "subscription { events { type } }");
        var error = await client.Expect("error", "over");
        Assert.Equal("RATE_LIMITED", error.Payload![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.Equal($"Too many subscriptions: at most {WsApp.Cap} at once", error.Payload[0]!["message"]!.GetValue<string>());

        // The same user over SSE counts against the same cap.
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("""{"query":"subscription { events { type } }"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Accept", "text/event-stream");
        request.Headers.Add("Authorization", "Bearer " + user.Token);
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("RATE_LIMITED", body);
        Assert.EndsWith("event: complete\ndata:\n\n", body);

        // Queries are not subscriptions: they still run.
        await client.Subscribe("q", "{ version }");
        await client.Expect("next", "q");
        await client.Expect("complete", "q");

        // Freeing one place lets a new subscription in.
        await client.Complete("s0");
        await Wait.Until(() => app.Limiter.Active(key) == WsApp.Cap - 1, "a place is free");
        await client.Subscribe("again", "subscription { events { type } }");
        await Wait.Until(() => app.Limiter.Active(key) == WsApp.Cap, "the new subscription is live");
    }

    // ---- slow clients --------------------------------------------------------------------------------------------------

    [Fact]
    public async Task a_client_that_does_not_read_is_closed_as_too_slow_without_holding_up_others()
    {
        // A small receive buffer, and pings with large payloads that it never reads the pongs of: the server's
        // writer blocks once the socket buffers are full, pongs pile up in the bounded queue, and the socket is closed.
        await using var slow = await WsClient.Connect(app, receiveBuffer: 16 * 1024);
        await slow.Init(null);
        var ping = new JsonObject { ["type"] = "ping", ["payload"] = new JsonObject { ["pad"] = new string('p', 48 * 1024) } }.ToJsonString();
        var sent = 0;
        for (; sent < 600; sent++)
        {
            try
            {
                await slow.SendText(ping);
            }
            catch (WebSocketException)
            {
                break;
            }
        }

        // Meanwhile everyone else is served as usual.
        await using (var other = await WsClient.Ready(app))
        {
            await other.Subscribe("v", "{ version }");
            await other.Expect("next", "v", TimeSpan.FromSeconds(3));
            await other.Expect("complete", "v");
        }

        var pongs = 0;
        Frame frame;
        while ((frame = await slow.Receive()).Type is "pong" or "ping") if (frame.Type == "pong") pongs++;
        Assert.True(frame.Code == 1008, $"expected close 1008, got {frame} after {pongs} pongs");
        Assert.Equal("Client too slow", frame.CloseReason);
        Assert.True(pongs < sent, $"{pongs} pongs for {sent} pings: the queue was cut");
    }

    private async Task<JsonNode> NextEvent(WsClient client, string id, string containing)
    {
        while (true)
        {
            var frame = await client.Expect("next", id);
            Assert.Null(frame.Payload!["errors"]);
            var ev = frame.Payload["data"]!["events"]!;
            if (ev.ToJsonString().Contains(containing)) return ev;
        }
    }

    /// <summary>The streaming assertions need the schema's Subscription.events; skipped where it is not served.</summary>
    private async Task RequireEventsSubscription()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        var sdl = await http.GetStringAsync("/graphql/schema.graphql", Ct);
        var start = sdl.IndexOf("type Subscription", StringComparison.Ordinal);
        Assert.SkipWhen(start < 0 || !sdl[start..].Contains("events("), "the schema has no Subscription.events yet");
    }
}
