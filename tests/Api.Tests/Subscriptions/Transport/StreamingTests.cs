using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions.Transport;

/// <summary>
/// Stream behaviour of both transports against a TEST-ONLY schema (<see cref="StreamingTestApp"/>) whose streams
/// end, fail and flood on demand: completion by the server, errors in the stream and in the stream resolver,
/// disposal, and clients too slow for the stream.
/// </summary>
public sealed class StreamingTests(StreamingTestApp app) : IClassFixture<StreamingTestApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_finite_stream_is_next_messages_then_complete_from_the_server()
    {
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("t", "subscription { ticks(count: 3) }");
        for (var i = 1; i <= 3; i++)
        {
            var next = await client.Expect("next", "t");
            Assert.Equal(i, next.Payload!["data"]!["ticks"]!.GetValue<int>());
        }

        await client.Expect("complete", "t");
        await Wait.Until(() => app.Probe.Active == 0, "the stream is disposed");
        // The id is free again.
        await client.Subscribe("t", "subscription { ticks(count: 1) }");
        await client.Expect("next", "t");
        await client.Expect("complete", "t");
    }

    [Fact]
    public async Task an_error_in_the_stream_is_a_next_with_errors_then_complete()
    {
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("e", "subscription { erroring }");
        var frames = new List<Frame>();
        Frame frame;
        do frames.Add(frame = await client.Next());
        while (frame.Type == "next");

        Assert.Equal("complete", frame.Type);
        Assert.Contains(frames, f => f.Payload?["data"]?["erroring"]?.GetValue<int>() == 1);
        Assert.Contains(frames, f => f.Payload?["errors"]?[0]?["extensions"]?["code"]?.GetValue<string>() == "CONFLICT");
    }

    [Fact]
    public async Task a_stream_resolver_that_refuses_gives_one_next_with_the_error_then_complete()
    {
        var user = await app.NewUser();
        await using var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("r", "subscription { refused }");
        var next = await client.Expect("next", "r");
        Assert.Equal("FORBIDDEN", next.Payload!["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        await client.Expect("complete", "r");
    }

    [Fact]
    public async Task complete_from_the_client_and_closing_the_socket_dispose_the_streams()
    {
        var user = await app.NewUser();
        var key = await app.LimiterKey(user);
        var client = await WsClient.Ready(app, user.Token);
        await client.Subscribe("a", "subscription { forever }");
        await client.Subscribe("b", "subscription { forever }");
        await Wait.Until(() => app.Probe.Active == 2 && app.Limiter.Active(key) == 2, "both streams are live");

        await client.Complete("a");
        await Wait.Until(() => app.Probe.Active == 1 && app.Limiter.Active(key) == 1, "the completed stream is disposed");

        await client.DisposeAsync();
        await Wait.Until(() => app.Probe.Active == 0 && app.Limiter.Active(key) == 0, "the socket's streams are disposed");
    }

    [Fact]
    public async Task a_websocket_client_that_does_not_read_a_flood_is_closed_as_too_slow_and_its_stream_stopped()
    {
        var user = await app.NewUser();
        var key = await app.LimiterKey(user);
        await using var slow = await WsClient.Connect(app, receiveBuffer: 16 * 1024);
        await slow.Init(user.Token);
        await slow.Subscribe("flood", "subscription { flood(size: 32768) }");

        // Without reading anything, the stream is stopped and its place freed...
        await Wait.Until(() => app.Probe.Produced > 0 && app.Probe.Active == 0 && app.Limiter.Active(key) == 0, "the flood is stopped");
        Assert.True(app.Probe.Produced < 20_000, $"the flood ran to its end ({app.Probe.Produced}) instead of being stopped");

        // ...everyone else goes on being served...
        await using (var other = await WsClient.Ready(app, user.Token))
        {
            await other.Subscribe("t", "subscription { ticks(count: 2) }");
            await other.Expect("next", "t", TimeSpan.FromSeconds(3));
            await other.Expect("next", "t");
            await other.Expect("complete", "t");
        }

        // ...and once it reads, it finds what had reached its socket, then the close.
        var nexts = 0;
        Frame frame;
        while ((frame = await slow.Receive()).Type is "next" or "ping") if (frame.Type == "next") nexts++;
        Assert.True(frame.Code == 1008, $"expected close 1008, got {frame} after {nexts} events");
        Assert.Equal("Client too slow", frame.CloseReason);
    }

    [Fact]
    public async Task a_finite_stream_over_sse_is_next_events_then_complete()
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("""{"query":"subscription { ticks(count: 3) }"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            ":\n\n" + string.Concat(Enumerable.Range(1, 3).Select(i => $"event: next\ndata: {{\"data\":{{\"ticks\":{i}}}}}\n\n")) + "event: complete\ndata:\n\n",
            body);
    }

    [Fact]
    public async Task an_sse_client_that_goes_away_or_does_not_read_has_its_stream_stopped()
    {
        var user = await app.NewUser();
        var key = await app.LimiterKey(user);

        // Goes away.
        using (var http = new HttpClient { BaseAddress = app.BaseAddress })
        {
            var response = await http.SendAsync(SseRequest("subscription { forever }", user.Token), HttpCompletionOption.ResponseHeadersRead, Ct);
            await Wait.Until(() => app.Probe.Active == 1 && app.Limiter.Active(key) == 1, "the stream is live");
            response.Dispose();
            await Wait.Until(() => app.Probe.Active == 0 && app.Limiter.Active(key) == 0, "the stream is stopped");
        }

        // Does not read: a small socket buffer fills, the queue overflows, and the connection is cut.
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using (var slow = new HttpClient(handler) { BaseAddress = app.BaseAddress })
        {
            using var response = await slow.SendAsync(SseRequest("subscription { flood(size: 32768) }", user.Token), HttpCompletionOption.ResponseHeadersRead, Ct);
            await Wait.Until(() => app.Probe.Produced > 0 && app.Probe.Active == 0 && app.Limiter.Active(key) == 0, "the flood is stopped");
            var stream = await response.Content.ReadAsStreamAsync(Ct);
            var body = new StringBuilder();
            try
            {
                var reader = new StreamReader(stream);
                body.Append(await reader.ReadToEndAsync(Ct));
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // Cut off: the expected end.
            }

            Assert.DoesNotContain("event: complete", body.ToString());
        }
    }

    [Theory]
    [InlineData("ws-client.mjs")]
    [InlineData("sse-client.mjs")]
    public async Task the_graphql_ws_and_sse_clients_receive_a_finite_stream_and_its_completion(string client)
    {
        var user = await app.NewUser();
        var output = await NodeClient.Run(client, client == "ws-client.mjs" ? app.WebSocketUri : app.GraphQLUri, new
        {
            authorization = "Bearer " + user.Token,
            operations = new[] { new { query = "subscription { ticks(count: 3) }" } },
        });
        var op = output["operations"]![0]!;
        Assert.Equal("server", op["ended"]!.GetValue<string>());
        Assert.Null(op["error"]);
        Assert.Equal([1, 2, 3], op["results"]!.AsArray().Select(r => r!["data"]!["ticks"]!.GetValue<int>()));
    }

    private static HttpRequestMessage SseRequest(string query, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(new JsonObject { ["query"] = query }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
