using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Conpaas.CloudAgents.Drivers.OpenStack;

/// <summary>
/// The calls of Keystone v3 and Nova v2.1 the driver needs, over the cloud HTTP client. A token is taken once, kept until
/// shortly before it expires, and taken again when the compute service answers 401 (revoked or expired early).
/// </summary>
public sealed class OpenStackClient(OpenStackSettings settings, string cloud, IHttpClientFactory http, TimeProvider clock)
{
    /// <summary>Renewed this long before Keystone says it expires: a call made just before then still carries a valid token.</summary>
    private static readonly TimeSpan Renewal = TimeSpan.FromMinutes(2);

    private sealed record Session(string Token, DateTimeOffset ExpiresAt, string Compute);

    private readonly SemaphoreSlim _authLock = new(1, 1);
    private readonly SemaphoreSlim _inFlight = new(settings.MaxConcurrency, settings.MaxConcurrency);
    private Session? _session;

    /// <summary>A compute call; null when Nova answers 404 (the caller decides what a missing thing means).</summary>
    public async Task<JsonNode?> Compute(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        for (var renewed = false; ; renewed = true)
        {
            var session = await Authenticate(ct);
            using var request = new HttpRequestMessage(method, session.Compute + path);
            request.Headers.Add("X-Auth-Token", session.Token);
            if (body is not null) request.Content = JsonContent.Create(body);
            using var response = await Send(request, ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized && !renewed)
            {
                Interlocked.CompareExchange(ref _session, null, session);
                continue;
            }

            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (!response.IsSuccessStatusCode) throw await Failure(response, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
    }

    private async Task<Session> Authenticate(CancellationToken ct)
    {
        if (_session is { } current && current.ExpiresAt - clock.GetUtcNow() > Renewal) return current;
        await _authLock.WaitAsync(ct);
        try
        {
            if (_session is { } renewedMeanwhile && renewedMeanwhile.ExpiresAt - clock.GetUtcNow() > Renewal) return renewedMeanwhile;
            return _session = await NewToken(ct);
        }
        finally
        {
            _authLock.Release();
        }
    }

    /// <summary>Identity API v3, "Authentication and token management": POST /v3/auth/tokens; the token is the X-Subject-Token header.</summary>
    private async Task<Session> NewToken(CancellationToken ct)
    {
        if (settings.Problems(cloud) is [var problem, ..]) throw new CloudDriverException(problem, transient: false);
        JsonObject identity = settings.UsesApplicationCredential
            ? new()
            {
                ["methods"] = new JsonArray("application_credential"),
                ["application_credential"] = new JsonObject { ["id"] = settings.ApplicationCredentialId, ["secret"] = settings.ApplicationCredentialSecret },
            }
            : new()
            {
                ["methods"] = new JsonArray("password"),
                ["password"] = new JsonObject
                {
                    ["user"] = new JsonObject { ["name"] = settings.User, ["domain"] = new JsonObject { ["name"] = settings.UserDomain }, ["password"] = settings.Password },
                },
            };
        var auth = new JsonObject { ["identity"] = identity };
        // An application credential carries its own project; a password is scoped to the configured one.
        if (!settings.UsesApplicationCredential)
            auth["scope"] = new JsonObject { ["project"] = new JsonObject { ["name"] = settings.Project, ["domain"] = new JsonObject { ["name"] = settings.ProjectDomain } } };

        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Keystone + "/auth/tokens")
        {
            Content = JsonContent.Create(new JsonObject { ["auth"] = auth }),
        };
        using var response = await Send(request, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            throw new CloudDriverException($"OpenStack refused the credentials of cloud '{cloud}' ({await Message(response, ct)})", transient: false);
        if (!response.IsSuccessStatusCode) throw await Failure(response, ct);

        var token = response.Headers.TryGetValues("X-Subject-Token", out var values) ? values.FirstOrDefault() : null;
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))?["token"];
        var expires = body?["expires_at"]?.GetValue<string>() is { } at ? DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture) : clock.GetUtcNow().AddHours(1);
        var compute = body?["catalog"]?.AsArray()
            .Where(s => s?["type"]?.GetValue<string>() == "compute")
            .SelectMany(s => s!["endpoints"]?.AsArray() ?? [])
            .FirstOrDefault(e => e?["interface"]?.GetValue<string>() == "public"
                                 && (settings.Region is null || e["region_id"]?.GetValue<string>() == settings.Region || e["region"]?.GetValue<string>() == settings.Region))
            ?["url"]?.GetValue<string>();
        if (token is null) throw new CloudDriverException($"Keystone of cloud '{cloud}' answered without a token", transient: true);
        if (compute is null)
            throw new CloudDriverException($"The service catalog of cloud '{cloud}' has no public compute endpoint{(settings.Region is null ? "" : $" in region {settings.Region}")}", transient: false);
        return new Session(token, expires, compute.TrimEnd('/'));
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, CancellationToken ct)
    {
        await _inFlight.WaitAsync(ct);
        try
        {
            return await http.CreateClient(CloudHttp.Name).SendAsync(request, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException
                                       or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            throw new CloudDriverException($"OpenStack cloud '{cloud}' did not answer {request.Method} {request.RequestUri?.AbsolutePath}: {ex.Message}",
                transient: true, ex);
        }
        finally
        {
            _inFlight.Release();
        }
    }

    /// <summary>
    /// Nova's faults: 400 (bad image, flavor, user data), 401 and 403 (credentials, quota) are final; 409 (the server is
    /// busy with another task), 413 without "quota" (a rate limit, with Retry-After), 429 and 5xx pass.
    /// </summary>
    private static async Task<CloudDriverException> Failure(HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var message = await Message(response, ct);
        var transient = status switch
        {
            409 or 429 or >= 500 => true,
            413 => !message.Contains("quota", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? $", retry after {delta.TotalSeconds:0} s" : "";
        return new CloudDriverException($"OpenStack answered {status}: {message}{retryAfter}", transient);
    }

    /// <summary>The message of an error body: {"badRequest": {"code": 400, "message": "…"}} (Nova) or {"error": {…}} (Keystone).</summary>
    private static async Task<string> Message(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            if (JsonNode.Parse(text) is JsonObject { Count: > 0 } body && body.First().Value?["message"]?.GetValue<string>() is { } message)
                return message;
        }
        catch (System.Text.Json.JsonException)
        {
            // Proxies in front of OpenStack answer HTML or plain text.
        }

        return text.Length is > 0 and <= 200 ? text.Trim() : response.ReasonPhrase ?? "no message";
    }
}
