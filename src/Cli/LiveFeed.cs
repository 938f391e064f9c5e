using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conpaas.Cli;

/// <summary>
/// The Director's event stream (Subscription.events) over graphql-transport-ws, surviving dropped connections: it
/// reconnects and resumes after the last sequence it delivered, so that no event is lost or repeated.
/// </summary>
internal sealed class LiveFeed(CommandContext ctx)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The server registers a subscription a moment after it reads it: a change in that moment comes as no event, so the
    /// caller looks at its object once more when nothing came this long after subscribing.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    private const string Query = """
        subscription($after: Long, $id: ID) { events(after: $after, entityId: $id) { sequence streamId version type at actor correlationId data } }
        """;

    public Uri Endpoint => new UriBuilder(new Uri(ctx.Director, "graphql")) { Scheme = ctx.Director.Scheme == "https" ? "wss" : "ws" }.Uri;

    /// <summary>The sequence of the last event delivered: where a new connection resumes.</summary>
    public long? After { get; private set; }

    /// <summary>
    /// Follows the events after <paramref name="after"/> (null: from now on). <paramref name="connected"/> runs on each
    /// (re)connection, when events may have been missed; <paramref name="onEvent"/> for each event. Either ends it by returning false.
    /// </summary>
    public async Task Follow(long? after, string? entityId, Func<Task<bool>> connected, Func<JsonNode, Task<bool>> onEvent, CancellationToken ct)
    {
        After = after;
        var everConnected = false;
        var backoff = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                using var socket = await Connect(ct);
                everConnected = true;
                backoff = TimeSpan.FromMilliseconds(250);
                await Send(socket, new { id = "1", type = "subscribe", payload = new { query = Query, variables = new { after = After, id = entityId } } }, ct);
                if (!await connected()) return;
                var receive = Receive(socket, ct);
                if (await Task.WhenAny(receive, Task.Delay(Settle, ct)) != receive && !await connected()) return;
                while (true)
                {
                    var message = await receive;
                    switch (message?.Text("type"))
                    {
                        case "next":
                            if (message["payload"]?["data"]?["events"] is not { } e) break;
                            After = long.Parse(e.Text("sequence")!);
                            if (!await onEvent(e))
                            {
                                await Send(socket, new { id = "1", type = "complete" }, ct);
                                return;
                            }

                            break;
                        case "error":
                            throw DirectorClient.Refusal(message["payload"] as JsonArray ?? []);
                        case "complete":
                            return;
                        case "ping":
                            await Send(socket, new { type = "pong" }, ct);
                            break;
                        case null:
                            throw new WebSocketException($"the Director closed the connection ({socket.CloseStatus} {socket.CloseStatusDescription})");
                    }

                    receive = Receive(socket, ct);
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException && !ct.IsCancellationRequested)
            {
                if (!everConnected) throw CliError.Unreachable(Endpoint.ToString(), e.InnerException?.Message ?? e.Message);
                if (!ctx.Quiet) ctx.Err.WriteLine($"cps: connection to {Endpoint} lost ({e.Message}); resuming after event {After?.ToString() ?? "-"}");
                await Task.Delay(backoff, ct);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    private async Task<ClientWebSocket> Connect(CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.AddSubProtocol("graphql-transport-ws");
            using var invoker = new HttpMessageInvoker(DirectorClient.Handler(ctx.CaPem));
            await socket.ConnectAsync(Endpoint, invoker, ct);
            await Send(socket, new { type = "connection_init", payload = ctx.Token is null ? null : new { authorization = "Bearer " + ctx.Token } }, ct);
            while (await Receive(socket, ct) is { } message && message.Text("type") != "connection_ack")
                if (message.Text("type") == "ping") await Send(socket, new { type = "pong" }, ct);
            if (socket.State != WebSocketState.Open)
                throw CliError.Refused($"The Director refused the subscription: {socket.CloseStatusDescription}",
                    socket.CloseStatus == (WebSocketCloseStatus)4401 ? "UNAUTHENTICATED" : "ERROR");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task Send(ClientWebSocket socket, object message, CancellationToken ct) =>
        await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, ct);

    /// <summary>The next message; null when the Director closed the connection.</summary>
    private static async Task<JsonNode?> Receive(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length));
        }
    }
}
