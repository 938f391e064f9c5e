using System.Text.Json;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Conpaas.Api.Transport;

/// <summary>
/// GraphQL over HTTP (graphql-over-http draft; shared/notes/graphql.md §2a): GET and POST, content negotiation
/// between application/graphql-response+json and application/json, and the status codes of the "compat" policy:
/// well-formed requests answer 200 for application/json, request errors 400 for graphql-response+json.
/// </summary>
public sealed class GraphQLHttpEndpoint(
    IDocumentExecuter<ISchema> executer,
    IGraphQLTextSerializer serializer,
    IOptions<GraphQLOptions> options)
{
    public const string GraphQLResponseJson = "application/graphql-response+json";
    public const string Json = "application/json";

    public async Task Handle(HttpContext http)
    {
        if (http.WebSockets.IsWebSocketRequest)
        {
            await http.RequestServices.GetRequiredService<WebSocketTransport>().Handle(http);
            return;
        }

        var caller = http.RequestServices.GetRequiredService<Caller>();
        caller.CorrelationId = CorrelationId(http);
        http.Response.Headers["X-Correlation-Id"] = caller.CorrelationId;

        var isGet = HttpMethods.IsGet(http.Request.Method);
        if (!isGet && !HttpMethods.IsPost(http.Request.Method))
        {
            http.Response.Headers.Allow = "GET, POST";
            await WriteRequestError(http, StatusCodes.Status405MethodNotAllowed, Json,
                $"Method {Quoted.Shorten(http.Request.Method)} is not allowed: use GET or POST");
            return;
        }

        // graphql-sse: a stream of events; its request errors are still answered as JSON.
        var eventStream = SseTransport.Accepts(http.Request.Headers.Accept);
        var mediaType = eventStream ? Json : Negotiate(http.Request.Headers.Accept);
        if (mediaType is null)
        {
            await WriteRequestError(http, StatusCodes.Status406NotAcceptable, Json,
                $"None of the accepted media types is served: ask for {GraphQLResponseJson} or {Json}");
            return;
        }

        var (request, problem, status) = isGet ? ReadQueryString(http.Request.Query) : await ReadBody(http);
        if (request is null)
        {
            await WriteRequestError(http, status, mediaType, problem!,
                status == StatusCodes.Status401Unauthorized ? nameof(Domain.ErrorCode.UNAUTHENTICATED) : nameof(Domain.ErrorCode.INVALID_INPUT));
            return;
        }

        ExecutionResult result;
        try
        {
            await SessionAuthentication.SignIn(http);
            if (eventStream)
            {
                await http.RequestServices.GetRequiredService<SseTransport>().Handle(http, request, isGet, caller);
                return;
            }

            result = await executer.ExecuteAsync(GraphQLExecution.Options(request, http.RequestServices, http.RequestAborted,
                new GraphQLExecution.HttpMethodRule(isGet, eventStream: false)));
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (EventStore.PostgresErrors.IsDatabaseUnavailable(ex) && !http.Response.HasStarted)
        {
            // Signing in reads the database before anything runs: anonymous or not, the answer is the same.
            await WriteUnavailable(http, mediaType);
            return;
        }

        http.Response.StatusCode = StatusOf(result, mediaType, http);
        http.Response.ContentType = mediaType + "; charset=utf-8";
        await serializer.WriteAsync(http.Response.Body, result, http.RequestAborted);
    }

    private static int StatusOf(ExecutionResult result, string mediaType, HttpContext http)
    {
        if (ServiceUnavailableError.In(result))
        {
            http.Response.Headers.RetryAfter = ServiceUnavailableError.RetryAfterSeconds.ToString();
            return StatusCodes.Status503ServiceUnavailable;
        }

        if (result.Errors?.OfType<MethodNotAllowedError>().Any() == true)
        {
            http.Response.Headers.Allow = "POST";
            return StatusCodes.Status405MethodNotAllowed;
        }

        // A request that could not be executed (syntax, validation, variables) is a client error, but legacy
        // application/json clients expect 200 with the errors in the body.
        return !result.Executed && mediaType == GraphQLResponseJson ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
    }

    /// <summary>Picks the served type the client prefers; a missing Accept or */* gets application/json.</summary>
    internal static string? Negotiate(Microsoft.Extensions.Primitives.StringValues accept)
    {
        if (accept.Count == 0 || string.IsNullOrWhiteSpace(accept.ToString())) return Json;
        if (!MediaTypeHeaderValue.TryParseList(accept, out var types)) return Json;

        string? best = null;
        double bestQuality = 0;
        foreach (var type in types)
        {
            var quality = type.Quality ?? 1.0;
            var name = type.MediaType.Value?.ToLowerInvariant();
            // ASP.NET would count graphql-response+json as a kind of application/json; compare names exactly.
            var served = name switch
            {
                GraphQLResponseJson => GraphQLResponseJson,
                Json => Json,
                "*/*" or "application/*" => Json,
                _ => null,
            };
            if (served is not null && quality > bestQuality)
            {
                best = served;
                bestQuality = quality;
            }
        }

        return best;
    }

    private async Task<(GraphQLRequest?, string?, int)> ReadBody(HttpContext http)
    {
        if (Files.MultipartUploads.Accepts(http.Request)) return await http.RequestServices.GetRequiredService<Files.MultipartUploads>().Read(http);
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var contentType)
            || !string.Equals(contentType.MediaType.Value, Json, StringComparison.OrdinalIgnoreCase))
            return (null, $"Unsupported Content-Type '{Quoted.Shorten(http.Request.ContentType ?? "")}': send {Json} (or {Files.MultipartUploads.MediaType} for uploads)", StatusCodes.Status415UnsupportedMediaType);
        if (contentType.Charset.HasValue && !string.Equals(contentType.Charset.Value, "utf-8", StringComparison.OrdinalIgnoreCase))
            return (null, $"Unsupported charset '{Quoted.Shorten(contentType.Charset.ToString())}': send utf-8", StatusCodes.Status415UnsupportedMediaType);

        var limit = options.Value.MaxRequestBytes;
        if (http.Request.ContentLength > limit)
            return (null, $"The request body is larger than {limit} bytes", StatusCodes.Status413PayloadTooLarge);

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > limit)
                return (null, $"The request body is larger than {limit} bytes", StatusCodes.Status413PayloadTooLarge);
            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0) return (null, "The request body is empty: send a JSON object with a 'query'", StatusCodes.Status400BadRequest);

        if (RequestJson.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), out var malformed) is not { } document)
            return (null, $"Malformed JSON body: {malformed}", StatusCodes.Status400BadRequest);

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (null, "The request body must be a JSON object with a 'query'", StatusCodes.Status400BadRequest);

            string? Text(string name, out string? error)
            {
                error = null;
                if (!root.TryGetProperty(name, out var p) || p.ValueKind == JsonValueKind.Null) return null;
                if (p.ValueKind == JsonValueKind.String) return p.GetString();
                error = $"'{name}' must be a string";
                return null;
            }

            Inputs? Map(string name, out string? error)
            {
                error = null;
                if (!root.TryGetProperty(name, out var p) || p.ValueKind == JsonValueKind.Null) return null;
                if (p.ValueKind == JsonValueKind.Object) return serializer.ReadNode<Inputs>(p);
                error = $"'{name}' must be a JSON object";
                return null;
            }

            var query = Text("query", out var e1);
            var operationName = Text("operationName", out var e2);
            var variables = Map("variables", out var e3);
            var extensions = Map("extensions", out var e4);
            var error = e1 ?? e2 ?? e3 ?? e4 ?? (string.IsNullOrWhiteSpace(query) ? "A 'query' is required" : null);
            return error is not null
                ? (null, error, StatusCodes.Status400BadRequest)
                : (new GraphQLRequest { Query = query, OperationName = operationName, Variables = variables, Extensions = extensions }, null, 0);
        }
    }

    private (GraphQLRequest?, string?, int) ReadQueryString(IQueryCollection query)
    {
        string? Param(string name) => query.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v.ToString()) ? v.ToString() : null;

        var text = Param("query");
        if (text is null) return (null, "A 'query' parameter is required", StatusCodes.Status400BadRequest);
        if (text.Length > options.Value.MaxRequestBytes)
            return (null, $"The query is longer than {options.Value.MaxRequestBytes} characters", StatusCodes.Status414UriTooLong);

        Inputs? Map(string name, out string? error)
        {
            error = null;
            if (Param(name) is not { } json) return null;
            using var document = RequestJson.Parse(System.Text.Encoding.UTF8.GetBytes(json), out var malformed);
            if (document?.RootElement.ValueKind == JsonValueKind.Object) return serializer.ReadNode<Inputs>(document.RootElement);
            error = malformed is null ? $"'{name}' must be a JSON object" : $"'{name}' is malformed JSON: {malformed}";
            return null;
        }

        var variables = Map("variables", out var e1);
        var extensions = Map("extensions", out var e2);
        return (e1 ?? e2) is { } error
            ? (null, error, StatusCodes.Status400BadRequest)
            : (new GraphQLRequest { Query = text, OperationName = Param("operationName"), Variables = variables, Extensions = extensions }, null, 0);
    }

    private static string CorrelationId(HttpContext http)
    {
        var given = http.Request.Headers["X-Correlation-Id"].ToString();
        return given.Length is > 0 and <= 64 && given.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? given
            : Guid.NewGuid().ToString("N");
    }

    /// <summary>503 with Retry-After and SERVICE_UNAVAILABLE: the database cannot be reached.</summary>
    internal static Task WriteUnavailable(HttpContext http, string mediaType)
    {
        http.Response.Headers.RetryAfter = ServiceUnavailableError.RetryAfterSeconds.ToString();
        return WriteRequestError(http, StatusCodes.Status503ServiceUnavailable, mediaType, ServiceUnavailableError.Database().Message,
            ServiceUnavailableError.CodeName);
    }

    /// <summary>A transport-level refusal: nothing was executed, so there is no data key.</summary>
    internal static async Task WriteRequestError(HttpContext http, int status, string mediaType, string message,
        string code = nameof(Domain.ErrorCode.INVALID_INPUT))
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = mediaType + "; charset=utf-8";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteStartArray("errors");
        json.WriteStartObject();
        json.WriteString("message", message);
        json.WriteStartObject("extensions");
        json.WriteString("code", code);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }
}
