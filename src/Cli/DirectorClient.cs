using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conpaas.Cli;

/// <summary>The Director's public GraphQL API over plain HTTP: one POST per operation, nothing else.</summary>
public sealed class DirectorClient(Uri director, string? token, TimeSpan timeout) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = timeout };

    public Uri Director { get; } = director;
    public Uri Endpoint { get; } = new(director, "graphql");

    /// <summary>The operation's <c>data</c>; a GraphQL error becomes <see cref="CliError.Refused"/> with its extensions.code.</summary>
    public async Task<JsonObject> Send(string query, object? variables, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint)
        {
            Content = JsonContent.Create(new { query, variables }),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        HttpResponseMessage response;
        string body;
        try
        {
            response = await _http.SendAsync(request, ct);
            body = await response.Content.ReadAsStringAsync(ct);
        }
        catch (HttpRequestException ex)
        {
            throw CliError.Unreachable(Endpoint.ToString(), ex.InnerException?.Message ?? ex.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw CliError.Unreachable(Endpoint.ToString(), $"no answer within {timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            if (Parse(body) is not { } answer || (answer["data"] is null && answer["errors"] is null))
                throw CliError.Unreachable(Endpoint.ToString(),
                    $"it answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}, not as a ConPaaS director");
            if (answer["errors"] is JsonArray { Count: > 0 } errors) throw Refusal(errors);
            return answer["data"] as JsonObject ?? [];
        }
    }

    private static JsonObject? Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static CliError Refusal(JsonArray errors)
    {
        var first = errors[0];
        var messages = errors.Select(e => e?["message"]?.GetValue<string>()).OfType<string>().Distinct();
        var code = first?["extensions"]?["code"]?.GetValue<string>() ?? "ERROR";
        return CliError.Refused(string.Join("; ", messages), code);
    }

    /// <summary>
    /// A director address as people type it: "host" and "host:port" mean http (port 5555 when none is given,
    /// as cps-tools added it); a trailing /graphql is allowed.
    /// </summary>
    public static Uri ParseAddress(string value)
    {
        var text = value.Trim();
        if (!text.Contains("://"))
        {
            var hostPart = text.Split('/')[0];
            var hasPort = hostPart.StartsWith('[') ? hostPart.Contains("]:") : hostPart.Contains(':');
            text = "http://" + (hasPort ? text : hostPart + ":5555" + text[hostPart.Length..]);
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            throw CliError.BadUsage($"Invalid director URL '{value}': expected e.g. http://127.0.0.1:5555");
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/graphql", StringComparison.Ordinal)) path = path[..^"/graphql".Length];
        return new UriBuilder(uri) { Path = path + "/", Query = "", Fragment = "" }.Uri;
    }

    public void Dispose() => _http.Dispose();
}
