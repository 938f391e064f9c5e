using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions.Transport;

/// <summary>
/// Keep-alive of both transports with a one-second interval: the server's graphql-transport-ws pings, the close of a
/// socket that stops answering them, and the SSE comment lines.
/// </summary>
public sealed class KeepAliveTests(KeepAliveApp app) : IClassFixture<KeepAliveApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_server_pings_and_keeps_a_socket_that_answers_open()
    {
        await using var client = await WsClient.Ready(app);
        var pings = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(3.5);
        while (DateTime.UtcNow < until)
        {
            var frame = await client.Receive(TimeSpan.FromSeconds(3));
            Assert.Equal("ping", frame.Type);
            pings++;
            await client.Send(new JsonObject { ["type"] = "pong" });
        }

        Assert.True(pings >= 2, $"one ping a second, got {pings}");
        await client.Subscribe("v", "{ version }");
        await client.Expect("next", "v");
        await client.Expect("complete", "v");
    }

    [Fact]
    public async Task a_socket_that_stops_answering_pings_is_closed_4408()
    {
        await using var client = await WsClient.Ready(app);
        var ping = await client.Receive(TimeSpan.FromSeconds(3));
        Assert.Equal("ping", ping.Type);
        // No pong, nor anything else: within one more interval the server gives up.
        var close = await client.Receive(TimeSpan.FromSeconds(5));
        Assert.Equal(4408, close.Code);
        Assert.Equal("Keep-alive timeout: no pong", close.CloseReason);
    }

    [Fact]
    public async Task an_sse_stream_gets_a_comment_every_interval_while_nothing_happens()
    {
        var user = await app.NewUser();
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("""{"query":"subscription { events { type } }"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new SseReader(await response.Content.ReadAsStreamAsync(Ct));

        var comments = 0;
        var started = DateTime.UtcNow;
        while (comments < 3)
        {
            var frame = await reader.Read(TimeSpan.FromSeconds(3));
            Assert.True(frame is { IsComment: true }, $"expected only comments on a quiet stream, got {frame}");
            comments++;
        }

        // The first comment comes at once, then one a second.
        Assert.True(DateTime.UtcNow - started > TimeSpan.FromSeconds(1.5), "comments came faster than the interval");
    }
}
