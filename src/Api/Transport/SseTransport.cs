using System.Text;
using System.Threading.Channels;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Identity;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Conpaas.Api.Transport;

/// <summary>
/// graphql-sse, distinct connections mode (shared/notes/graphql.md §2c): a GraphQL-over-HTTP request with
/// <c>Accept: text/event-stream</c> is answered with a stream of <c>next</c> events and one <c>complete</c>.
/// The HTTP endpoint parses and authenticates the request; this runs it in the request's scope, which lives as long
/// as the stream. Closing the connection ends the subscription.
/// </summary>
public sealed class SseTransport(
    IDocumentExecuter<ISchema> executer,
    IGraphQLTextSerializer serializer,
    SubscriptionLimiter limiter,
    IOptions<SubscriptionOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    Conpaas.CloudAgents.DirectorMetrics metrics,
    ILogger<SseTransport> log)
{
    public const string EventStream = "text/event-stream";

    private static readonly byte[] Comment = ":\n\n"u8.ToArray();
    private static readonly byte[] CompleteEvent = "event: complete\ndata:\n\n"u8.ToArray();

    private ILogger Log => log;
    private int MaxQueued => options.Value.MaxQueuedMessages;
    private string Serialize(ExecutionResult result) => serializer.Serialize(result);
    private void FrameSent() => metrics.FrameSent("sse");

    /// <summary>Whether the client asks for an event stream (text/event-stream listed with a non-zero quality).</summary>
    public static bool Accepts(StringValues accept) =>
        accept.Count > 0
        && MediaTypeHeaderValue.TryParseList(accept, out var types)
        && types.Any(t => string.Equals(t.MediaType.Value, EventStream, StringComparison.OrdinalIgnoreCase) && (t.Quality ?? 1.0) > 0);

    public async Task Handle(HttpContext http, GraphQLRequest request, bool isGet, Caller caller)
    {
        var aborted = http.RequestAborted;
        ExecutionResult result;
        try
        {
            result = await executer.ExecuteAsync(GraphQLExecution.Options(request, http.RequestServices, aborted, new GraphQLExecution.HttpMethodRule(isGet, eventStream: true)));
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return;
        }

        if (result.Errors?.OfType<MethodNotAllowedError>().FirstOrDefault() is { } refused)
        {
            http.Response.Headers.Allow = "POST";
            await GraphQLHttpEndpoint.WriteRequestError(http, StatusCodes.Status405MethodNotAllowed, GraphQLHttpEndpoint.Json, refused.Message);
            return;
        }

        // Before the stream opens, an unreachable database is told as plainly as over HTTP.
        if (result.Streams is not { Count: > 0 } && ServiceUnavailableError.In(result))
        {
            await GraphQLHttpEndpoint.WriteUnavailable(http, GraphQLHttpEndpoint.Json);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = EventStream + "; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        try
        {
            await Write(http, Comment, aborted);
            if (result.Streams is not { Count: > 0 } streams)
            {
                // A query, a mutation, a request error (validation, variables) or a refused stream: one result.
                await Write(http, Next(serializer.Serialize(result)), aborted);
                await Write(http, CompleteEvent, aborted);
                return;
            }

            var key = SubscriptionLimiter.KeyFor(caller.User, http.Connection.RemoteIpAddress);
            if (!limiter.TryAcquire(key))
            {
                await Write(http, Next(serializer.Serialize(new ExecutionResult { Errors = [limiter.TooMany()] })), aborted);
                await Write(http, CompleteEvent, aborted);
                return;
            }

            try
            {
                await Stream(http, streams.Values.First(), aborted);
            }
            finally
            {
                limiter.Release(key);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away (or was cut off as too slow).
        }
    }

    private async Task Stream(HttpContext http, IObservable<ExecutionResult> stream, CancellationToken aborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, lifetime.ApplicationStopping);
        var queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(options.Value.MaxQueuedMessages) { SingleReader = true });
        var observer = new Observer(this, queue.Writer, http);
        using var subscription = stream.Subscribe(observer);
        var interval = options.Value.KeepAliveInterval;
        using var keepAlive = interval > TimeSpan.Zero ? clock.CreateTimer(_ => observer.Offer(Comment), null, interval, interval) : null;

        await foreach (var message in queue.Reader.ReadAllAsync(stop.Token))
        {
            await Write(http, message, stop.Token);
            if (ReferenceEquals(message, CompleteEvent)) return;
        }
    }

    private static async Task Write(HttpContext http, byte[] message, CancellationToken ct)
    {
        await http.Response.Body.WriteAsync(message, ct);
        await http.Response.Body.FlushAsync(ct);
    }

    private static byte[] Next(string json)
    {
        // The serializer writes one line (no indentation; newlines inside strings are escaped).
        var builder = new StringBuilder(json.Length + 24).Append("event: next\ndata: ").Append(json).Append("\n\n");
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private sealed class Observer(SseTransport transport, ChannelWriter<byte[]> queue, HttpContext http) : IObserver<ExecutionResult>
    {
        private int _tooSlow;

        public void Offer(byte[] message)
        {
            if (queue.TryWrite(message) || Interlocked.Exchange(ref _tooSlow, 1) == 1) return;
            // A client that does not read must not hold up the event source: cut it off. There is no way to say why
            // on a stream it does not read, so the connection is simply aborted.
            transport.Log.LogWarning("Aborting an SSE stream whose client lets more than {Max} events pile up",
                transport.MaxQueued);
            queue.TryComplete();
            http.Abort();
        }

        public void OnNext(ExecutionResult value)
        {
            try
            {
                Offer(Next(transport.Serialize(value)));
                transport.FrameSent();
            }
            catch (Exception ex)
            {
                transport.Log.LogError(ex, "Sending an SSE event failed");
                OnError(ex);
            }
        }

        public void OnError(Exception error)
        {
            if (error is not ExecutionError and not Domain.DomainException)
                transport.Log.LogError(error, "A GraphQL subscription over SSE failed");
            Offer(Next(transport.Serialize(new ExecutionResult { Errors = [GraphQLWsConnection.StreamError(error)] })));
            OnCompleted();
        }

        public void OnCompleted() => Offer(CompleteEvent);
    }
}
