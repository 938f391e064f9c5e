using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conpaas.Bench;

public sealed class GqlException(string message) : Exception(message);

/// <summary>A plain GraphQL-over-HTTP client (POST application/json), one pooled HttpClient for all callers.</summary>
public sealed class Gql : IDisposable
{
    private readonly HttpClient _http;

    public Gql(Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 512,
            PooledConnectionLifetime = TimeSpan.FromMinutes(30),
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public async Task<JsonElement> Send(string query, object? variables = null, string? token = null, CancellationToken ct = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["query"] = query,
            ["variables"] = variables is null ? null : JsonSerializer.SerializeToNode(variables),
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        using var doc = JsonDocument.Parse(bytes);
        if (doc.RootElement.TryGetProperty("errors", out var errors) && errors.GetArrayLength() > 0)
            throw new GqlException($"GraphQL error ({(int)response.StatusCode}): {Encoding.UTF8.GetString(bytes)}");
        if (!response.IsSuccessStatusCode) throw new GqlException($"HTTP {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        return doc.RootElement.GetProperty("data").Clone();
    }

    // The operations the harness uses, as a client writes them against shared/design/api.graphql.

    public async Task<string> RegisterAndLogin(string username, string password = "bench-pass-1")
    {
        await Send("mutation($u: String!, $e: String!, $p: String!) { register(input: {username: $u, email: $e, password: $p}) { id } }",
            new { u = username, e = $"{username}@bench.example", p = password });
        return await Login(username, password);
    }

    public async Task<string> Login(string username, string password) =>
        (await Send("mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }", new { u = username, p = password }))
        .GetProperty("login").GetProperty("token").GetString()!;

    public const string CreateApplication = "mutation($n: String!) { createApplication(name: $n) { id version } }";
    public const string RenameApplication = "mutation($id: ID!, $n: String!) { renameApplication(id: $id, name: $n) { id version } }";

    public async Task<string> CreateApp(string token, string name) =>
        (await Send(CreateApplication, new { n = name }, token)).GetProperty("createApplication").GetProperty("id").GetString()!;

    public async Task<string> RenameApp(string token, string id, string name) =>
        (await Send(RenameApplication, new { id, n = name }, token)).GetProperty("renameApplication").GetProperty("id").GetString()!;

    public async Task<string> AddService(string token, string applicationId, string type = "helloworld") =>
        (await Send("mutation($a: ID!, $t: String!) { addService(applicationId: $a, type: $t) { id } }", new { a = applicationId, t = type }, token))
        .GetProperty("addService").GetProperty("id").GetString()!;

    public async Task<string> StartService(string token, string serviceId, string cloud) =>
        (await Send("mutation($s: ID!, $c: String) { startService(id: $s, cloud: $c) { state } }", new { s = serviceId, c = cloud }, token))
        .GetProperty("startService").GetProperty("state").GetString()!;

    public async Task<string> AddNodes(string token, string serviceId, int count) =>
        (await Send("mutation($s: ID!, $n: Int!) { addNodes(serviceId: $s, nodes: [{count: $n}]) { state } }", new { s = serviceId, n = count }, token))
        .GetProperty("addNodes").GetProperty("state").GetString()!;

    /// <summary>The state of every service of an application.</summary>
    public async Task<Dictionary<string, string>> ServiceStates(string token, string applicationId, CancellationToken ct = default)
    {
        var data = await Send("query($a: ID!) { application(id: $a) { services { id state } } }", new { a = applicationId }, token, ct);
        return data.GetProperty("application").GetProperty("services").EnumerateArray()
            .ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty("state").GetString()!);
    }

    /// <summary>The states of the caller's live VMs of one application.</summary>
    public async Task<List<string>> VmStates(string token, string applicationId)
    {
        var data = await Send("query($a: ID) { vms(applicationId: $a) { state } }", new { a = applicationId }, token);
        return data.GetProperty("vms").EnumerateArray().Select(v => v.GetProperty("state").GetString()!).ToList();
    }

    public void Dispose() => _http.Dispose();
}
