using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Subscriptions.Transport;
using Xunit;

namespace Conpaas.Api.Tests.Fuzz;

/// <summary>What came back for one request, over whichever transport carried it.</summary>
public sealed record Outcome(TimeSpan Elapsed, int? Status, JsonArray Errors, bool HasData, string? Broken, int? CloseCode, string Excerpt)
{
    public bool Refused => Errors.Count > 0 || Status is >= 400 || CloseCode is not null;
}

/// <summary>
/// Sends a <see cref="FuzzCase"/> to the real host: HTTP POST/GET, a fresh graphql-transport-ws connection, or a
/// graphql-sse request; each bounded by <see cref="ClientTimeout"/> so that a request the host never answers ends the
/// case (as a failure) and not the run.
/// </summary>
public sealed class FuzzSender(WsApp app, Func<Who, string?> token)
{
    public static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a refused subscription may take to say so before it counts as accepted.</summary>
    public static readonly TimeSpan SubscriptionWait = TimeSpan.FromSeconds(3);

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        BaseAddress = app.BaseAddress,
        Timeout = Timeout.InfiniteTimeSpan, // each case has its own deadline
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async Task<Outcome> Send(FuzzCase c)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return c.Via == Via.WebSocket ? await WebSocket(c, clock) : await Http(c, clock);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException && !Ct.IsCancellationRequested)
        {
            return new Outcome(clock.Elapsed, null, [], false, $"no answer within {ClientTimeout.TotalSeconds:0} s", null, "");
        }
    }

    private async Task<Outcome> Http(FuzzCase c, Stopwatch clock)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(ClientTimeout);
        var path = c.Method != "GET" ? "/graphql"
            : "/graphql?" + (c.RawQueryString ?? $"query={Uri.EscapeDataString(c.Query!)}&variables={Uri.EscapeDataString(c.Variables ?? "{}")}");
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), path);
        if (c.Method != "GET")
        {
            request.Content = new ByteArrayContent(c.Body());
            if (c.ContentType is { } type && !request.Content.Headers.TryAddWithoutValidation("Content-Type", type))
                throw new InvalidOperationException($"cannot send Content-Type {type}");
        }

        request.Headers.TryAddWithoutValidation("Accept", c.Via == Via.Sse ? "text/event-stream" : c.Accept);
        if ((c.Authorization ?? (token(c.Who) is { } t ? "Bearer " + t : null)) is { } authorization)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        }
        catch (HttpRequestException e)
        {
            return new Outcome(clock.Elapsed, null, [], false, "connection failed: " + e.Message, null, "");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
                return await Events(c, response, clock, deadline.Token);

            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            var elapsed = clock.Elapsed;
            // Kestrel's own limits (request line, headers) answer before the Director sees the request, without a body.
            if (body.Length == 0 && status is 414 or 431) return new Outcome(elapsed, status, [], false, null, null, "");
            return Parse(body) is { } json
                ? new Outcome(elapsed, status, Errors(json), json["data"] is JsonObject, null, null, FuzzCase.Shorten(body, 300))
                : new Outcome(elapsed, status, [], false, $"HTTP {status} without a GraphQL response body", null, FuzzCase.Shorten(body, 300));
        }
    }

    /// <summary>graphql-sse: the <c>next</c> events up to <c>complete</c>; for a subscription, only the first one.</summary>
    private static async Task<Outcome> Events(FuzzCase c, HttpResponseMessage response, Stopwatch clock, CancellationToken deadline)
    {
        var reader = new SseReader(await response.Content.ReadAsStreamAsync(deadline));
        var errors = new JsonArray();
        var data = false;
        var excerpt = new StringBuilder();
        while (true)
        {
            var wait = c.Subscription ? SubscriptionWait : ClientTimeout - clock.Elapsed;
            SseEvent? e;
            try
            {
                e = await reader.Read(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1));
            }
            catch (TimeoutException) when (c.Subscription)
            {
                return new Outcome(clock.Elapsed, 200, errors, data, $"the stream said nothing within {SubscriptionWait.TotalSeconds:0} s (accepted?)", null, excerpt.ToString());
            }

            if (e is null || e.Event == "complete") return new Outcome(clock.Elapsed, 200, errors, data, null, null, excerpt.ToString());
            if (e.IsComment) continue;
            excerpt.Append(FuzzCase.Shorten(e.Data, 300));
            if (Parse(e.Data) is not { } json) return new Outcome(clock.Elapsed, 200, errors, data, "an SSE event that is not JSON", null, excerpt.ToString());
            foreach (var error in Errors(json)) errors.Add(error!.DeepClone());
            data |= json["data"] is JsonObject;
            if (c.Subscription) return new Outcome(clock.Elapsed, 200, errors, data, null, null, excerpt.ToString());
        }
    }

    /// <summary>A fresh connection: init (with the caller's token), then the case's frames or its subscribe message.</summary>
    private async Task<Outcome> WebSocket(FuzzCase c, Stopwatch clock)
    {
        await using var client = await WsClient.Connect(app);
        var structural = c.Frames is not null;
        if (!structural || c.WsInit)
        {
            await client.Send(token(c.Who) is { } t
                ? new JsonObject { ["type"] = "connection_init", ["payload"] = new JsonObject { ["authorization"] = "Bearer " + t } }
                : new JsonObject { ["type"] = "connection_init" });
            var ack = await client.Next(ClientTimeout);
            if (ack.Type != "connection_ack")
                return new Outcome(clock.Elapsed, null, [], false, ack.CloseStatus is null ? $"expected connection_ack, got {ack}" : null, ack.Code, ack.ToString());
        }

        clock.Restart(); // the refusal is what is timed, not the handshake
        foreach (var frame in c.Frames ?? [WsFrame.Text(
                     $"{{\"id\":\"f{c.Index}\",\"type\":\"subscribe\",\"payload\":{{\"query\":{HostileValues.Str(c.Query!)},\"variables\":{c.Variables ?? "{}"}}}}}")])
        {
            try
            {
                await client.Socket.SendAsync(frame.Bytes, frame.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, Ct);
            }
            catch (WebSocketException)
            {
                break; // the server closed while the frames were still going out: its close frame says why
            }
        }

        var errors = new JsonArray();
        var data = false;
        var excerpt = new StringBuilder();
        while (true)
        {
            // A subscription or a broken message the server stays silent about waits only so long.
            var wait = c.Subscription || structural ? SubscriptionWait : ClientTimeout - clock.Elapsed;
            Frame frame;
            try
            {
                frame = await client.Next(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1));
            }
            catch (TimeoutException) when (c.Subscription || structural)
            {
                return new Outcome(clock.Elapsed, null, errors, data, $"no answer within {SubscriptionWait.TotalSeconds:0} s (accepted or ignored?)", null, excerpt.ToString());
            }
            catch (WebSocketException)
            {
                // RFC 6455 lets a server fail a connection by dropping it: 1006 is the code for "no close frame".
                return new Outcome(clock.Elapsed, null, errors, data, null, 1006, excerpt.Append("dropped without a close frame").ToString());
            }
            catch (JsonException)
            {
                return new Outcome(clock.Elapsed, null, errors, data, "a WebSocket message that is not JSON", null, excerpt.ToString());
            }

            excerpt.Append(FuzzCase.Shorten(frame.ToString(), 300)).Append(' ');
            if (frame.CloseStatus is not null) return new Outcome(clock.Elapsed, null, errors, data, null, frame.Code, excerpt.ToString());
            switch (frame.Type)
            {
                case "error":
                    foreach (var error in frame.Payload as JsonArray ?? []) errors.Add(error!.DeepClone());
                    return new Outcome(clock.Elapsed, null, errors, data, null, null, excerpt.ToString());
                case "next" when frame.Payload is JsonObject payload:
                    foreach (var error in Errors(payload)) errors.Add(error!.DeepClone());
                    data |= payload["data"] is JsonObject;
                    // A subscription answers once; a structural attack must end in a close or an error.
                    if (c.Subscription && !structural) return new Outcome(clock.Elapsed, null, errors, data, null, null, excerpt.ToString());
                    break;
                case "complete":
                    return new Outcome(clock.Elapsed, null, errors, data, null, null, excerpt.ToString());
            }
        }
    }

    private static JsonObject? Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonArray Errors(JsonObject response) => response["errors"] as JsonArray ?? [];
}
