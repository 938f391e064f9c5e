using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Transport;
using Conpaas.Domain;
using GraphQL;
using GraphQL.Types;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Subscriptions.Transport;

/// <summary>
/// The Director with a short connection_init timeout, a small send queue and a small subscription cap. The
/// keep-alive stays at its default (12 s), so that a test that does not read for a moment is not taken for a dead
/// client; <see cref="KeepAliveApp"/> pings every second.
/// </summary>
public class WsApp : DirectorApp
{
    public const int Cap = 3;
    public const int MaxQueued = 16;
    public static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(2);

    protected virtual string KeepAliveInterval => "00:00:12";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Subscriptions:ConnectionInitTimeout"] = InitTimeout.ToString(),
        ["Subscriptions:KeepAliveInterval"] = KeepAliveInterval,
        ["Subscriptions:MaxQueuedMessages"] = MaxQueued.ToString(),
        ["Subscriptions:MaxSubscriptionsPerUser"] = Cap.ToString(),
    };

    public SubscriptionLimiter Limiter => Services.GetRequiredService<SubscriptionLimiter>();

    public Uri WebSocketUri => new UriBuilder(BaseAddress) { Scheme = "ws", Path = "/graphql" }.Uri;
    public Uri GraphQLUri => new(BaseAddress, "/graphql");

    /// <summary>The limiter key of a signed-in client (its user id).</summary>
    public async Task<string> LimiterKey(GraphQLClient user)
    {
        var id = (await user.Ok("{ me { id } }"))["me"]!["id"]!.GetValue<string>();
        return "user:" + Guid.Parse(id).ToString("N");
    }
}

/// <summary>The host with a keep-alive every second: WebSocket pings and SSE comments.</summary>
public sealed class KeepAliveApp : WsApp
{
    protected override string KeepAliveInterval => "00:00:01";
}

/// <summary>
/// The same host serving a TEST-ONLY schema: the product's Query and Mutation plus a Subscription root with streams
/// whose behaviour the tests control (finite, endless, failing, flooding). Nothing of it is in the product.
/// </summary>
public sealed class StreamingTestApp : WsApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<StreamProbe>();
            services.AddSingleton<ISchema>(sp => new StreamingTestSchema(sp));
        });
    }

    public StreamProbe Probe => Services.GetRequiredService<StreamProbe>();
}

/// <summary>How many test streams are subscribed right now, and how many events the flood produced.</summary>
public sealed class StreamProbe
{
    private int _active;
    private long _produced;
    public int Active => Volatile.Read(ref _active);
    public long Produced => Interlocked.Read(ref _produced);
    internal void Opened() => Interlocked.Increment(ref _active);
    internal void Closed() => Interlocked.Decrement(ref _active);
    internal void Emitted() => Interlocked.Increment(ref _produced);
}

public sealed class StreamingTestSchema : Schema
{
    public StreamingTestSchema(IServiceProvider services) : base(services)
    {
        Query = services.GetRequiredService<DirectorQuery>();
        Mutation = services.GetRequiredService<DirectorMutation>();
        Subscription = new TestSubscription(services.GetRequiredService<StreamProbe>());
        RegisterTypeMapping(typeof(DateTimeOffset), typeof(DateTimeScalar));
    }
}

public sealed class TestSubscription : ObjectGraphType
{
    public TestSubscription(StreamProbe probe)
    {
        Name = "Subscription";
        Field<NonNullGraphType<IntGraphType>>("ticks").Argument<NonNullGraphType<IntGraphType>>("count")
            .ResolveStream(c =>
            {
                var count = c.GetArgument<int>("count");
                return new TestStream<object?>(probe, async (emit, ct) =>
                {
                    for (var i = 1; i <= count; i++)
                    {
                        emit(i);
                        await Task.Delay(10, ct);
                    }
                });
            });
        Field<NonNullGraphType<IntGraphType>>("forever")
            .ResolveStream(_ => new TestStream<object?>(probe, (_, ct) => Task.Delay(Timeout.Infinite, ct)));
        Field<NonNullGraphType<StringGraphType>>("flood").Argument<NonNullGraphType<IntGraphType>>("size")
            .ResolveStream(c =>
            {
                var text = new string('x', c.GetArgument<int>("size"));
                return new TestStream<object?>(probe, async (emit, ct) =>
                {
                    // As fast as the transport takes them, bounded so that a broken test still ends.
                    for (var i = 0; i < 20_000 && !ct.IsCancellationRequested; i++)
                    {
                        emit(text);
                        probe.Emitted();
                        if (i % 50 == 0) await Task.Yield();
                    }
                });
            });
        Field<NonNullGraphType<IntGraphType>>("erroring")
            .ResolveStream(_ => new TestStream<object?>(probe, (emit, _) =>
            {
                emit(1);
                throw DomainError.Conflict("The stream broke").ToException();
            }));
        Field<NonNullGraphType<IntGraphType>>("refused")
            .ResolveStream(_ => throw DomainError.Forbidden("No stream for you").ToException());
    }
}

/// <summary>A cold stream fed by one producer task; disposing it cancels the producer.</summary>
public sealed class TestStream<T>(StreamProbe probe, Func<Action<T>, CancellationToken, Task> producer) : IObservable<T>
{
    public IDisposable Subscribe(IObserver<T> observer)
    {
        var cancel = new CancellationTokenSource();
        probe.Opened();
        var closed = 0;
        void Close()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0) probe.Closed();
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await producer(observer.OnNext, cancel.Token);
                if (!cancel.IsCancellationRequested) observer.OnCompleted();
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                observer.OnError(ex);
            }
        });
        return new Stop(() =>
        {
            cancel.Cancel();
            Close();
        });
    }

    private sealed class Stop(Action stop) : IDisposable
    {
        public void Dispose() => stop();
    }
}

/// <summary>One frame from the server: a message, or the close frame.</summary>
public sealed record Frame(JsonObject? Message, WebSocketCloseStatus? CloseStatus, string? CloseReason)
{
    public string? Type => Message?["type"]?.GetValue<string>();
    public string? Id => Message?["id"]?.GetValue<string>();
    public JsonNode? Payload => Message?["payload"];
    public int? Code => CloseStatus is { } s ? (int)s : null;
    public override string ToString() => Message?.ToJsonString() ?? $"close {Code} '{CloseReason}'";
}

/// <summary>A raw graphql-transport-ws client over ClientWebSocket, as any program would speak it.</summary>
public sealed class WsClient : IAsyncDisposable
{
    public const string Protocol = "graphql-transport-ws";
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(15);

    private readonly byte[] _buffer = new byte[64 * 1024];

    private WsClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="receiveBuffer">A small socket receive buffer, so that a client that does not read stalls the server soon.</param>
    public static async Task<WsClient> Connect(WsApp app, string? subprotocol = Protocol, int? receiveBuffer = null)
    {
        var socket = new ClientWebSocket();
        if (subprotocol is not null) socket.Options.AddSubProtocol(subprotocol);
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (receiveBuffer is { } size)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, ct) =>
                {
                    var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = size };
                    try
                    {
                        await s.ConnectAsync(context.DnsEndPoint, ct);
                        return new NetworkStream(s, ownsSocket: true);
                    }
                    catch
                    {
                        s.Dispose();
                        throw;
                    }
                },
            };
            await socket.ConnectAsync(app.WebSocketUri, new HttpMessageInvoker(handler), Ct);
        }
        else
        {
            await socket.ConnectAsync(app.WebSocketUri, Ct);
        }

        return new WsClient(socket);
    }

    /// <summary>Connects, sends connection_init (with the token when given) and expects connection_ack.</summary>
    public static async Task<WsClient> Ready(WsApp app, string? token = null)
    {
        var client = await Connect(app);
        await client.Init(token);
        return client;
    }

    public async Task Init(string? token)
    {
        await Send(token is null
            ? new JsonObject { ["type"] = "connection_init" }
            : new JsonObject { ["type"] = "connection_init", ["payload"] = new JsonObject { ["authorization"] = "Bearer " + token } });
        var ack = await Next();
        Assert.True(ack.Type == "connection_ack", $"expected connection_ack, got {ack}");
    }

    public Task SendText(string text) => Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Ct);

    public Task Send(JsonObject message) => SendText(message.ToJsonString());

    public Task Subscribe(string id, string query, object? variables = null) => Send(new JsonObject
    {
        ["id"] = id,
        ["type"] = "subscribe",
        ["payload"] = new JsonObject { ["query"] = query, ["variables"] = JsonNode.Parse(JsonSerializer.Serialize(variables)) },
    });

    public Task Complete(string id) => Send(new JsonObject { ["id"] = id, ["type"] = "complete" });

    /// <summary>The next frame, whatever it is.</summary>
    public async Task<Frame> Receive(TimeSpan? wait = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(wait ?? DefaultWait);
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result;
            try
            {
                result = await Socket.ReceiveAsync(_buffer, timeout.Token);
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                throw new TimeoutException($"nothing from the server within {wait ?? DefaultWait}");
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                // Finish the handshake, as a well-behaved client does.
                try
                {
                    if (Socket.State == WebSocketState.CloseReceived)
                        await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
                }
                catch (WebSocketException)
                {
                }

                return new Frame(null, result.CloseStatus, result.CloseStatusDescription);
            }

            message.Write(_buffer, 0, result.Count);
            if (result.EndOfMessage) return new Frame(JsonNode.Parse(message.ToArray())!.AsObject(), null, null);
        }
    }

    /// <summary>The next message other than the server's keep-alive pings, which are answered.</summary>
    public async Task<Frame> Next(TimeSpan? wait = null)
    {
        while (true)
        {
            var frame = await Receive(wait);
            if (frame.Type != "ping") return frame;
            await Send(new JsonObject { ["type"] = "pong" });
        }
    }

    /// <summary>The next message other than pings must be this one.</summary>
    public async Task<Frame> Expect(string type, string? id = null, TimeSpan? wait = null)
    {
        var frame = await Next(wait);
        Assert.True(frame.Type == type && (id is null || frame.Id == id), $"expected {type} {id}, got {frame}");
        return frame;
    }

    /// <summary>Reads on (answering pings) until the server closes; returns the close frame.</summary>
    public async Task<Frame> Closed(TimeSpan? wait = null)
    {
        while (true)
        {
            var frame = await Next(wait);
            if (frame.CloseStatus is not null) return frame;
        }
    }

    /// <summary>The server closes with this code next (after any pings).</summary>
    public async Task<Frame> ExpectClose(int code, string? reason = null, TimeSpan? wait = null)
    {
        var frame = await Next(wait);
        Assert.True(frame.Code == code, $"expected close {code}, got {frame}");
        if (reason is not null) Assert.Equal(reason, frame.CloseReason);
        Assert.True(Encoding.UTF8.GetByteCount(frame.CloseReason ?? "") < 124, $"close reason too long: {frame.CloseReason}");
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }

        Socket.Dispose();
    }
}

/// <summary>Runs one of the Node clients of tests/js and returns what it printed.</summary>
public static class NodeClient
{
    public static async Task<JsonObject> Run(string script, Uri url, object spec) =>
        JsonNode.Parse(await NodeTools.Run(script, ["graphql-ws", "graphql-sse"], url.ToString(), JsonSerializer.Serialize(spec)))!.AsObject();
}
