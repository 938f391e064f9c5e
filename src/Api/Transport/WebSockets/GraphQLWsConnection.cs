using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Users;
using Conpaas.Api.GraphQL;
using GraphQL;
using GraphQL.Transport;

namespace Conpaas.Api.Transport;

/// <summary>
/// One graphql-transport-ws socket (shared/notes/graphql.md §2b). A single receive loop handles the client's
/// messages in order; every outgoing message goes through one bounded queue drained by a single writer task, so
/// sends never overlap and a client that does not read is disconnected ("Client too slow", 1008) instead of holding
/// up the event sources that feed it. Each operation runs in its own DI scope, kept until the operation ends.
/// Close codes: 4400 invalid message, 4401 subscribe before the ack, 4403 token refused, 4408 no connection_init in
/// time or no sign of life for a whole keep-alive interval after a ping, 4409 duplicate id, 4429 second init,
/// 4500 internal error, 1008 "Client too slow", 1009 message over GraphQL:MaxRequestBytes, 1001 server shutting down,
/// 1013 database unreachable at connection_init (try again later).
/// </summary>
internal sealed class GraphQLWsConnection
{
    private static readonly byte[] Ping = Encode("ping");

    private readonly WebSocketTransport _t;
    private readonly WebSocket _socket;
    private readonly string? _upgradeAuthorization;
    private readonly IPAddress? _remote;
    private readonly CancellationToken _aborted;
    private readonly Channel<byte[]> _queue;
    private readonly ConcurrentDictionary<string, Operation> _operations = new(StringComparer.Ordinal);

    private CloseRequest? _close;
    private volatile bool _discard;
    private int _initReceived;
    private volatile bool _acknowledged;
    private User? _user;
    private string? _authorization;
    private string _limiterKey = "";
    private long _lastReceived;
    private long _pingSentAt;
    private ITimer? _keepAlive;
    private ITimer? _abort;

    public GraphQLWsConnection(WebSocketTransport transport, WebSocket socket, string? upgradeAuthorization, IPAddress? remote,
        CancellationToken aborted)
    {
        _t = transport;
        _socket = socket;
        _upgradeAuthorization = string.IsNullOrWhiteSpace(upgradeAuthorization) ? null : upgradeAuthorization;
        _remote = remote;
        _aborted = aborted;
        // Wait mode is never waited on: writers only TryWrite, and a full queue means the client is too slow.
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(transport.Options.MaxQueuedMessages)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    private sealed record CloseRequest(WebSocketCloseStatus Status, string Reason);

    public async Task Run()
    {
        var writer = Task.Run(WriteLoop);
        using var init = _t.Clock.CreateTimer(_ =>
        {
            if (Volatile.Read(ref _initReceived) == 0) Close(4408, "Connection initialisation timeout");
        }, null, _t.Options.ConnectionInitTimeout, Timeout.InfiniteTimeSpan);
        try
        {
            await ReceiveLoop();
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The client went away without a close handshake (or was aborted after a close that it never answered).
        }
        catch (Exception ex)
        {
            _t.Log.LogError(ex, "GraphQL WebSocket connection failed");
            Close(4500, "Internal server error");
        }
        finally
        {
            Close(1001, "Going away", discard: true); // a no-op when a close is under way already
            try
            {
                await writer.WaitAsync(WebSocketTransport.CloseTimeout + TimeSpan.FromSeconds(1));
            }
            catch (TimeoutException)
            {
                _socket.Abort();
            }

            _keepAlive?.Dispose();
            _abort?.Dispose();
        }
    }

    /// <summary>
    /// Starts closing: nothing more is accepted into the queue, every operation is stopped, the writer sends what is
    /// queued (unless <paramref name="discard"/>) and then the close frame; the socket is aborted if the handshake
    /// has not finished within <see cref="WebSocketTransport.CloseTimeout"/>. The first request wins.
    /// </summary>
    internal void Close(int code, string reason, bool discard = false)
    {
        if (discard) _discard = true;
        if (Interlocked.CompareExchange(ref _close, new CloseRequest((WebSocketCloseStatus)code, Reason(reason)), null) is not null) return;
        _t.Log.LogDebug("Closing GraphQL WebSocket: {Code} {Reason}", code, reason);
        _queue.Writer.TryComplete();
        _keepAlive?.Dispose();
        foreach (var operation in _operations.Values) Finish(operation);
        _abort = _t.Clock.CreateTimer(_ => _socket.Abort(), null, WebSocketTransport.CloseTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Close reasons must fit in 123 UTF-8 bytes.</summary>
    internal static string Reason(string reason)
    {
        if (Encoding.UTF8.GetByteCount(reason) <= 123) return reason;
        var end = reason.Length;
        while (end > 0 && Encoding.UTF8.GetByteCount(reason.AsSpan(0, end)) > 120) end--;
        if (end > 0 && char.IsHighSurrogate(reason[end - 1])) end--;
        return reason[..end] + "…";
    }

    private void Send(byte[] message)
    {
        if (Volatile.Read(ref _close) is not null) return;
        if (_queue.Writer.TryWrite(message)) return;
        if (Volatile.Read(ref _close) is not null) return; // completed by a close in between
        _t.Log.LogWarning("Closing a GraphQL WebSocket whose client lets more than {Max} messages pile up", _t.Options.MaxQueuedMessages);
        Close((int)WebSocketCloseStatus.PolicyViolation, "Client too slow", discard: true);
    }

    private async Task WriteLoop()
    {
        try
        {
            await foreach (var message in _queue.Reader.ReadAllAsync())
            {
                if (_discard) continue;
                await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }

            if (Volatile.Read(ref _close) is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The peer is gone: make sure the receive loop wakes up too.
            _discard = true;
            _socket.Abort();
        }
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer.AsMemory(), _aborted);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // The client's close, or its answer to ours: echo its code (ours, when we closed first, is already sent).
                var status = _socket.CloseStatus is { } s && s != WebSocketCloseStatus.Empty ? (int)s : (int)WebSocketCloseStatus.NormalClosure;
                Close(status, "", discard: true);
                return;
            }

            if (Volatile.Read(ref _close) is not null) continue; // closing: only the client's close frame matters now
            Volatile.Write(ref _lastReceived, _t.Clock.GetTimestamp());
            if (message.Length + result.Count > _t.MaxMessageBytes)
            {
                Close((int)WebSocketCloseStatus.MessageTooBig, $"Message too big: at most {_t.MaxMessageBytes} bytes");
                continue;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage) continue;
            if (result.MessageType == WebSocketMessageType.Binary) Close(4400, "Invalid message: send JSON in text frames");
            else await HandleMessage(message.GetBuffer().AsMemory(0, (int)message.Length));
            message.SetLength(0);
        }
    }

    private async Task HandleMessage(ReadOnlyMemory<byte> utf8)
    {
        if (RequestJson.Parse(utf8, out var malformed) is not { } document)
        {
            Close(4400, "Invalid message: " + malformed);
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                Close(4400, "Invalid message: expected a JSON object");
                return;
            }

            if (!root.TryGetProperty("type", out var typeProperty) || typeProperty.ValueKind != JsonValueKind.String)
            {
                Close(4400, "Invalid message: 'type' must be a string");
                return;
            }

            var type = typeProperty.GetString()!;
            switch (type)
            {
                case "connection_init":
                    if (OptionalPayload(root, type, out var init)) await Init(init);
                    break;
                case "ping":
                    if (OptionalPayload(root, type, out var ping)) Send(Encode("pong", payload: ping?.GetRawText()));
                    break;
                case "pong":
                    OptionalPayload(root, type, out _); // any message counts as a sign of life; nothing to answer
                    break;
                case "subscribe":
                    Subscribe(root);
                    break;
                case "complete":
                    if (Id(root, type, out var id) && _operations.TryGetValue(id, out var operation)) Finish(operation);
                    break;
                case "next" or "error" or "connection_ack":
                    Close(4400, $"Invalid message: '{type}' is sent by the server only");
                    break;
                default:
                    Close(4400, $"Invalid message: unknown type '{Quoted.Shorten(type)}'");
                    break;
            }
        }
    }

    private bool OptionalPayload(JsonElement root, string type, out JsonElement? payload)
    {
        payload = null;
        if (!root.TryGetProperty("payload", out var p) || p.ValueKind == JsonValueKind.Null) return true;
        if (p.ValueKind == JsonValueKind.Object)
        {
            payload = p;
            return true;
        }

        Close(4400, $"Invalid message: the '{type}' payload must be an object");
        return false;
    }

    private bool Id(JsonElement root, string type, out string id)
    {
        id = "";
        if (root.TryGetProperty("id", out var p) && p.ValueKind == JsonValueKind.String && p.GetString() is { Length: > 0 } given)
        {
            id = given;
            return true;
        }

        Close(4400, $"Invalid message: '{type}' needs a non-empty string 'id'");
        return false;
    }

    private async Task Init(JsonElement? payload)
    {
        if (Interlocked.Exchange(ref _initReceived, 1) == 1)
        {
            Close(4429, "Too many initialisation requests");
            return;
        }

        var authorization = _upgradeAuthorization;
        if (payload is { } given)
        {
            foreach (var property in given.EnumerateObject())
            {
                if (!string.Equals(property.Name, "authorization", StringComparison.OrdinalIgnoreCase) || property.Value.ValueKind == JsonValueKind.Null)
                    continue;
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    Close(4400, "Invalid message: 'authorization' must be a string like 'Bearer <token>'");
                    return;
                }

                authorization = property.Value.GetString();
            }
        }

        try
        {
            await using var scope = _t.Scopes.CreateAsyncScope();
            var caller = scope.ServiceProvider.GetRequiredService<Caller>();
            await scope.ServiceProvider.GetRequiredService<Authenticator>().Authenticate(authorization, caller, _aborted);
            if (caller.RejectedBecause is not null)
            {
                Close(4403, "Forbidden");
                return;
            }

            _user = caller.User;
            _authorization = authorization;
        }
        catch (Exception ex) when (EventStore.PostgresErrors.IsDatabaseUnavailable(ex))
        {
            // 1013 Try Again Later (RFC 6455 registry): the same for anonymous and signed-in clients.
            Close(1013, "Service unavailable: the database is unreachable; try again later");
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _t.Log.LogError(ex, "Authenticating a GraphQL WebSocket failed");
            Close(4500, "Internal server error");
            return;
        }

        _limiterKey = SubscriptionLimiter.KeyFor(_user, _remote);
        _acknowledged = true; // before the ack goes out, so a subscribe that follows it is never refused
        Send(Encode("connection_ack"));
        var interval = _t.Options.KeepAliveInterval;
        if (interval > TimeSpan.Zero && Volatile.Read(ref _close) is null)
            _keepAlive = _t.Clock.CreateTimer(_ => KeepAlive(), null, interval, interval);
    }

    /// <summary>Pings every interval; a client that sent nothing at all since the previous ping is gone.</summary>
    private void KeepAlive()
    {
        if (Volatile.Read(ref _close) is not null) return;
        var sent = Interlocked.Read(ref _pingSentAt);
        if (sent != 0 && Volatile.Read(ref _lastReceived) < sent)
        {
            Close(4408, "Keep-alive timeout: no pong");
            return;
        }

        Interlocked.Exchange(ref _pingSentAt, _t.Clock.GetTimestamp());
        Send(Ping);
    }

    private void Subscribe(JsonElement root)
    {
        if (!_acknowledged)
        {
            Close(4401, "Unauthorized");
            return;
        }

        if (!Id(root, "subscribe", out var id)) return;
        if (!root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
        {
            Close(4400, "Invalid message: the 'subscribe' payload must be an object");
            return;
        }

        if (!payload.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String)
        {
            Close(4400, "Invalid message: 'payload.query' must be a string");
            return;
        }

        string? operationName = null;
        if (payload.TryGetProperty("operationName", out var name) && name.ValueKind != JsonValueKind.Null)
        {
            if (name.ValueKind != JsonValueKind.String)
            {
                Close(4400, "Invalid message: 'payload.operationName' must be a string");
                return;
            }

            operationName = name.GetString();
        }

        if (!Map(payload, "variables", out var variables) || !Map(payload, "extensions", out var extensions)) return;

        var request = new GraphQLRequest { Query = query.GetString(), OperationName = operationName, Variables = variables, Extensions = extensions };
        // The id is taken before any async work, so a duplicate racing in right behind is caught.
        var operation = new Operation(id);
        if (!_operations.TryAdd(id, operation))
        {
            Close(4409, $"Subscriber for {Quoted.Shorten(id)} already exists");
            return;
        }

        _ = Task.Run(() => Execute(operation, request));
    }

    private bool Map(JsonElement payload, string name, out Inputs? inputs)
    {
        inputs = null;
        if (!payload.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return true;
        if (value.ValueKind == JsonValueKind.Object)
        {
            try
            {
                inputs = _t.Serializer.ReadNode<Inputs>(value);
                return true;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException or FormatException)
            {
            }
        }

        Close(4400, $"Invalid message: 'payload.{name}' must be an object");
        return false;
    }

    private async Task Execute(Operation operation, GraphQLRequest request)
    {
        var scope = _t.Scopes.CreateAsyncScope();
        var scopeOwned = true;
        try
        {
            var services = scope.ServiceProvider;
            var caller = services.GetRequiredService<Caller>();
            caller.CorrelationId = Guid.NewGuid().ToString("N");
            // The connection's credentials, checked again as every HTTP request is: an operation after a logout or
            // expiry behaves like an HTTP request with that token (UNAUTHENTICATED), and sees the user as it is now.
            ExecutionResult result;
            try
            {
                await services.GetRequiredService<Authenticator>().Authenticate(_authorization, caller, operation.Cancellation.Token);
                result = await _t.Executer.ExecuteAsync(GraphQLExecution.Options(request, services, operation.Cancellation.Token));
            }
            catch (OperationCanceledException) when (operation.Cancellation.IsCancellationRequested)
            {
                return; // completed by the client or the socket closed: nothing more is sent for it
            }
            catch (Exception ex) when (EventStore.PostgresErrors.IsDatabaseUnavailable(ex))
            {
                Fail(operation, new ExecutionResult { Errors = [ServiceUnavailableError.Database()] });
                return;
            }

            if (!result.Executed)
            {
                Fail(operation, result);
                return;
            }

            if (result.Streams is not { Count: > 0 } streams)
            {
                // A query, a mutation, or a subscription whose stream resolver refused: one result, then complete.
                Next(operation, result);
                Complete(operation);
                return;
            }

            if (!_t.Limiter.TryAcquire(_limiterKey))
            {
                Fail(operation, new ExecutionResult { Errors = [_t.Limiter.TooMany()] });
                return;
            }

            lock (operation)
            {
                if (operation.Finished)
                {
                    _t.Limiter.Release(_limiterKey);
                    return;
                }

                operation.Scope = scope;
                operation.LimiterKey = _limiterKey;
                scopeOwned = false;
            }

            var subscription = streams.Values.First().Subscribe(new Observer(this, operation));
            lock (operation)
            {
                if (!operation.Finished)
                {
                    operation.Subscription = subscription;
                    return;
                }
            }

            subscription.Dispose(); // ended (by the stream, the client or a close) while subscribing
        }
        catch (Exception ex)
        {
            _t.Log.LogError(ex, "GraphQL operation {Id} over WebSocket failed", operation.Id);
            Fail(operation, new ExecutionResult { Errors = [new ExecutionError("Internal server error", ex)] });
        }
        finally
        {
            if (scopeOwned)
            {
                Finish(operation);
                await scope.DisposeAsync();
            }
        }
    }

    private void Next(Operation operation, ExecutionResult result)
    {
        var message = Encode("next", operation.Id, _t.Serializer.Serialize(result));
        lock (operation)
        {
            if (operation.Finished) return;
            Send(message);
        }

        _t.Metrics.FrameSent("websocket");
    }

    private void Complete(Operation operation)
    {
        // The id is free before the client hears of it, so it may be reused at once.
        if (Finish(operation)) Send(Encode("complete", operation.Id));
    }

    /// <summary>An error message ends the operation; no complete follows it.</summary>
    private void Fail(Operation operation, ExecutionResult result)
    {
        if (!Finish(operation)) return;
        using var document = JsonDocument.Parse(_t.Serializer.Serialize(result));
        var errors = document.RootElement.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0
            ? e.GetRawText()
            : """[{"message":"The operation failed","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]""";
        Send(Encode("error", operation.Id, errors));
    }

    /// <summary>Ends an operation once: frees its id, cancels its execution, disposes its stream, place and scope.</summary>
    private bool Finish(Operation operation)
    {
        IDisposable? subscription;
        AsyncServiceScope? scope;
        string? limiterKey;
        lock (operation)
        {
            if (operation.Finished) return false;
            operation.Finished = true;
            (subscription, scope, limiterKey) = (operation.Subscription, operation.Scope, operation.LimiterKey);
            (operation.Subscription, operation.Scope, operation.LimiterKey) = (null, null, null);
        }

        _operations.TryRemove(new KeyValuePair<string, Operation>(operation.Id, operation));
        try
        {
            operation.Cancellation.Cancel();
            subscription?.Dispose();
        }
        catch (Exception ex)
        {
            _t.Log.LogWarning(ex, "Stopping GraphQL operation {Id} failed", operation.Id);
        }

        if (limiterKey is not null) _t.Limiter.Release(limiterKey);
        if (scope is { } s) _ = DisposeScope(s);
        return true;
    }

    private async Task DisposeScope(AsyncServiceScope scope)
    {
        try
        {
            await scope.DisposeAsync();
        }
        catch (Exception ex)
        {
            _t.Log.LogWarning(ex, "Disposing the scope of a GraphQL subscription failed");
        }
    }

    internal static byte[] Encode(string type, string? id = null, string? payload = null)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (payload?.Length ?? 0));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (id is not null) json.WriteString("id", id);
            json.WriteString("type", type);
            if (payload is not null)
            {
                json.WritePropertyName("payload");
                json.WriteRawValue(payload, skipInputValidation: true);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    internal static ExecutionError StreamError(Exception error) => error switch
    {
        ExecutionError e => e,
        DomainException d => new DirectorError(d.Error),
        _ => new ExecutionError("Error in the event stream", error),
    };

    private sealed class Operation(string id)
    {
        public string Id { get; } = id;
        public CancellationTokenSource Cancellation { get; } = new();
        public bool Finished { get; set; }
        public IDisposable? Subscription { get; set; }
        public AsyncServiceScope? Scope { get; set; }
        public string? LimiterKey { get; set; }
    }

    private sealed class Observer(GraphQLWsConnection connection, Operation operation) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            try
            {
                connection.Next(operation, value);
            }
            catch (Exception ex)
            {
                connection._t.Log.LogError(ex, "Sending an event of GraphQL subscription {Id} failed", operation.Id);
                connection.Fail(operation, new ExecutionResult { Errors = [new ExecutionError("Internal server error", ex)] });
            }
        }

        public void OnError(Exception error)
        {
            if (error is not ExecutionError and not DomainException)
                connection._t.Log.LogError(error, "GraphQL subscription {Id} failed", operation.Id);
            connection.Next(operation, new ExecutionResult { Errors = [StreamError(error)] });
            connection.Complete(operation);
        }

        public void OnCompleted() => connection.Complete(operation);
    }
}
