using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Conpaas.Bench;

/// <summary>
/// P4: WebSocket subscribers (graphql-transport-ws) to applicationChanged of one application; each round renames it
/// over HTTP, and the latency of a frame is the time from sending that mutation to the frame's arrival.
/// </summary>
public sealed class WsFanout : IAsyncDisposable
{
    private readonly List<Subscriber> _subscribers = [];

    private sealed class Subscriber(ClientWebSocket socket)
    {
        public ClientWebSocket Socket { get; } = socket;
        public ConcurrentDictionary<string, long> Seen { get; } = new(); // name → arrival timestamp
        public Task? Loop { get; set; }
        public Exception? Failure { get; set; }
    }

    /// <summary>Null when the Director does not serve graphql-transport-ws on /graphql.</summary>
    public static async Task<string?> Unavailable(Uri baseAddress)
    {
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("graphql-transport-ws");
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await ws.ConnectAsync(WsUri(baseAddress), cts.Token);
            if (ws.SubProtocol != "graphql-transport-ws") return $"the server answered with subprotocol '{ws.SubProtocol}'";
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "probe", CancellationToken.None);
            return null;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            return ex.Message;
        }
    }

    private static Uri WsUri(Uri baseAddress) => new($"ws://{baseAddress.Authority}/graphql");

    /// <summary>Opens one socket per (token) and subscribes it to applicationChanged(applicationId).</summary>
    public static async Task<WsFanout> Open(Uri baseAddress, IReadOnlyList<string> tokens, string applicationId)
    {
        var fanout = new WsFanout();
        foreach (var token in tokens)
        {
            var ws = new ClientWebSocket();
            ws.Options.AddSubProtocol("graphql-transport-ws");
            await ws.ConnectAsync(WsUri(baseAddress), CancellationToken.None);
            await Send(ws, new { type = "connection_init", payload = new { authorization = "Bearer " + token } });
            var ack = await Receive(ws, CancellationToken.None);
            if (ack?.GetProperty("type").GetString() != "connection_ack") throw new InvalidOperationException($"P4: no connection_ack: {ack}");
            await Send(ws, new
            {
                id = "1",
                type = "subscribe",
                payload = new
                {
                    query = "subscription($id: ID!) { applicationChanged(id: $id) { id name version } }",
                    variables = new { id = applicationId },
                },
            });
            var subscriber = new Subscriber(ws);
            subscriber.Loop = Task.Run(() => fanout.ReceiveLoop(subscriber));
            fanout._subscribers.Add(subscriber);
        }

        return fanout;
    }

    public int Count => _subscribers.Count;

    private async Task ReceiveLoop(Subscriber s)
    {
        try
        {
            while (s.Socket.State == WebSocketState.Open)
            {
                var message = await Receive(s.Socket, CancellationToken.None);
                if (message is not { } m) return;
                var arrived = Stopwatch.GetTimestamp();
                switch (m.GetProperty("type").GetString())
                {
                    case "next":
                        var payload = m.GetProperty("payload");
                        if (payload.TryGetProperty("errors", out var errors)) throw new InvalidOperationException($"P4: subscription error {errors}");
                        var name = payload.GetProperty("data").GetProperty("applicationChanged").GetProperty("name").GetString()!;
                        s.Seen.TryAdd(name, arrived);
                        break;
                    case "ping":
                        await Send(s.Socket, new { type = "pong" });
                        break;
                    case "error" or "complete":
                        throw new InvalidOperationException($"P4: subscription ended: {m}");
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // closed
        }
        catch (Exception ex)
        {
            s.Failure = ex;
        }
    }

    private string Failures() =>
        string.Join("; ", _subscribers.Where(s => s.Failure is not null).Select(s => s.Failure!.Message).Distinct().Take(3));

    /// <summary>Renames until every subscriber has a frame (subscriptions register asynchronously); not measured.</summary>
    public async Task WaitUntilLive(Func<string, Task> rename, string tag)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var i = 0; ; i++)
        {
            var name = $"{tag}-warm-{i}";
            await rename(name);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(1);
            while (DateTime.UtcNow < until && !_subscribers.All(s => s.Seen.ContainsKey(name))) await Task.Delay(5);
            if (_subscribers.All(s => s.Seen.ContainsKey(name))) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"P4: only {_subscribers.Count(s => s.Seen.ContainsKey(name))} of {_subscribers.Count} subscribers got frames {Failures()}");
        }
    }

    /// <summary>One round: rename, wait for every subscriber's frame; the latencies (ms) from sending the mutation.</summary>
    public async Task<List<double>> Round(Func<string, Task> rename, string name)
    {
        var t0 = Stopwatch.GetTimestamp();
        await rename(name);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!_subscribers.All(s => s.Seen.ContainsKey(name)))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"P4: {_subscribers.Count(s => s.Seen.ContainsKey(name))} of {_subscribers.Count} frames within 10 s {Failures()}");
            await Task.Delay(1);
        }

        return _subscribers.Select(s => Stats.Ms(t0, s.Seen[name])).ToList();
    }

    private static async Task Send(ClientWebSocket ws, object message) =>
        await ws.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonElement?> Receive(ClientWebSocket ws, CancellationToken ct)
    {
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) break;
        }

        using var doc = JsonDocument.Parse(message.ToArray());
        return doc.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _subscribers)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await s.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // the server may have gone first
            }

            s.Socket.Dispose();
        }
    }
}
