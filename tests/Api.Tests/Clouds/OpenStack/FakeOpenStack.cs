using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Conpaas.Api.Tests.Clouds.OpenStack;

/// <summary>
/// An OpenStack cloud in this process, on a loopback port: Keystone (Identity API v3, "Authentication and token
/// management") and Nova (Compute API v2.1, "Servers", "Flavors", "Images"), with the request and answer shapes of those
/// reference pages. Servers go BUILD → ACTIVE (or ERROR) after <see cref="BuildTime"/>; an ACTIVE server answers the
/// agent's health check on its own loopback address. Tests break it on purpose: tokens expired on demand, a create whose
/// answer is lost, queued faults (409, 413 with Retry-After, 429, 5xx), an instance quota.
/// </summary>
public sealed class FakeOpenStack : IAsyncDisposable
{
    public const string User = "conpaas", Password = "conpaas-secret", Project = "conpaas-project";
    public const string ApplicationCredentialId = "4f0a7c3e9b1d4e2f", ApplicationCredentialSecret = "app-credential-secret";
    public const string ImageName = "conpaas-debian", ImageId = "9d3b3c53-1e5e-4f47-9a55-5f1c0b1b2a10";
    public const string FlavorName = "m1.small", FlavorId = "2", KeyName = "conpaas-key", SecurityGroup = "conpaas";

    public sealed class Server
    {
        public required string Id { get; init; }
        public required string Name { get; init; }
        public required JsonObject Request { get; init; }
        public required string Ip { get; init; }
        public required DateTimeOffset CreatedAt { get; init; }
        public required bool WillFail { get; init; }
        public string Status { get; set; } = "BUILD";
        public FakeVmHealth? Health { get; set; }
    }

    private sealed record Fault(string Method, string PathPrefix, int Status, JsonObject Body, int? RetryAfter);

    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<Server> _servers = [];
    private readonly HashSet<string> _tokens = [];
    private readonly Queue<Fault> _faults = new();
    private readonly (Func<int, string> Address, int Port) _addresses = FakeVmHealth.Addresses();
    private int _next;
    private int _inFlight;

    private FakeOpenStack(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>The port the servers' "agents" answer on (the driver's AGENT_PORT).</summary>
    public int AgentPort => _addresses.Port;

    public TimeSpan BuildTime { get; set; } = TimeSpan.FromMilliseconds(300);
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);
    public int? InstanceQuota { get; set; }
    /// <summary>Nova's osapi_max_limit: servers per page of a listing.</summary>
    public int PageSize { get; set; } = 1000;
    public bool DropNextCreateResponse { get; set; }
    public bool NextBuildFails { get; set; }
    /// <summary>How long each compute call takes, to see calls overlap.</summary>
    public TimeSpan ComputeDelay { get; set; }
    /// <summary>The most compute calls this cloud served at once.</summary>
    public int MostInFlight { get; private set; }
    public int TokensIssued { get; private set; }
    public int CreateRequests { get; private set; }

    public IReadOnlyList<Server> Servers
    {
        get
        {
            lock (_lock) return _servers.ToList();
        }
    }

    /// <summary>Revokes every token: the next compute call answers 401.</summary>
    public void ExpireTokens()
    {
        lock (_lock) _tokens.Clear();
    }

    /// <summary>The next call of <paramref name="method"/> on a compute path starting with <paramref name="pathPrefix"/> answers this fault.</summary>
    public void FailNext(string method, string pathPrefix, int status, string kind, string message, int? retryAfter = null)
    {
        lock (_lock) _faults.Enqueue(new Fault(method, pathPrefix, status, new JsonObject { [kind] = new JsonObject { ["code"] = status, ["message"] = message } }, retryAfter));
    }

    /// <summary>An openstack cloud's keys pointing at this fake.</summary>
    public Dictionary<string, string?> Keys(bool applicationCredential = false) => new()
    {
        ["HOST"] = new Uri(Url, "/identity/v3").ToString(),
        ["USER"] = applicationCredential ? null : User,
        ["PASSWORD"] = applicationCredential ? null : Password,
        ["PROJECT"] = Project,
        ["APPLICATION_CREDENTIAL_ID"] = applicationCredential ? ApplicationCredentialId : null,
        ["APPLICATION_CREDENTIAL_SECRET"] = applicationCredential ? ApplicationCredentialSecret : null,
        ["IMAGE_ID"] = ImageName,
        ["SIZE_ID"] = FlavorName,
        ["KEY_NAME"] = KeyName,
        ["SECURITY_GROUP_NAME"] = SecurityGroup,
        ["NETWORK_ID"] = "3b4a1c2d-0000-4000-8000-000000000001",
        ["AGENT_PORT"] = AgentPort.ToString(),
    };

    public static async Task<FakeOpenStack> Start()
    {
        var app = Conpaas.Fakes.LoopbackApp.Create();
        var fake = new FakeOpenStack(app);
        fake.Map(app);
        await app.StartAsync();
        fake.Url = Conpaas.Fakes.LoopbackApp.Address(app);
        return fake;
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/identity/v3/auth/tokens", (Delegate)Authenticate);

        var compute = app.MapGroup("/compute/v2.1");
        compute.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            Fault? fault;
            lock (_lock)
            {
                if (!_tokens.Contains(http.Request.Headers["X-Auth-Token"].ToString()))
                    return Error(401, "unauthorized", "Authentication required");
                fault = _faults.TryPeek(out var f) && f.Method == http.Request.Method && http.Request.Path.Value!.StartsWith("/compute/v2.1" + f.PathPrefix, StringComparison.Ordinal)
                    ? _faults.Dequeue()
                    : null;
            }

            if (fault is null)
            {
                lock (_lock) MostInFlight = Math.Max(MostInFlight, ++_inFlight);
                try
                {
                    await Task.Delay(ComputeDelay);
                    return await next(context);
                }
                finally
                {
                    lock (_lock) _inFlight--;
                }
            }

            if (fault.RetryAfter is { } seconds) http.Response.Headers.RetryAfter = seconds.ToString();
            return Results.Json(fault.Body, statusCode: fault.Status);
        });

        // Compute API v2.1, "Flavors": GET /flavors lists {id, name, links}.
        compute.MapGet("/flavors", () => Results.Json(new JsonObject
        {
            ["flavors"] = new JsonArray(
                new JsonObject { ["id"] = "1", ["name"] = "m1.tiny", ["links"] = new JsonArray() },
                new JsonObject { ["id"] = FlavorId, ["name"] = FlavorName, ["links"] = new JsonArray() }),
        }));

        // Compute API v2.1, "Images" (the image proxy): GET /images?name=…, GET /images/{id}.
        compute.MapGet("/images", (string? name) => Results.Json(new JsonObject
        {
            ["images"] = name is null or ImageName ? new JsonArray(ImageJson()) : new JsonArray(),
        }));
        compute.MapGet("/images/{id}", (string id) => id == ImageId
            ? Results.Json(new JsonObject { ["image"] = ImageJson() })
            : Error(404, "itemNotFound", "Image not found."));

        compute.MapPost("/servers", (Delegate)CreateServer);
        compute.MapGet("/servers/detail", ListServers);
        compute.MapGet("/servers/{id}", (string id) => Find(id) is { } server
            ? Results.Json(new JsonObject { ["server"] = ServerJson(server) })
            : Error(404, "itemNotFound", $"Instance {id} could not be found."));
        // "Delete Server": 204, the server goes; 404 for one that does not exist.
        compute.MapDelete("/servers/{id}", (string id) =>
        {
            lock (_lock)
            {
                var server = _servers.FirstOrDefault(s => s.Id == id);
                if (server is null) return Error(404, "itemNotFound", $"Instance {id} could not be found.");
                server.Health?.Dispose();
                _servers.Remove(server);
                return Results.NoContent();
            }
        });
    }

    /// <summary>POST /v3/auth/tokens: password (user name, domain, password; project scope) or application credential (id,
    /// secret); 201 with the token in X-Subject-Token and the catalog in the body, or 401.</summary>
    private async Task<IResult> Authenticate(HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        var identity = body?["auth"]?["identity"];
        var method = identity?["methods"]?[0]?.GetValue<string>();
        var ok = method switch
        {
            "password" => identity!["password"]?["user"] is { } user && user["name"]?.GetValue<string>() == User
                          && user["password"]?.GetValue<string>() == Password && user["domain"]?["name"]?.GetValue<string>() == "Default"
                          && body!["auth"]!["scope"]?["project"]?["name"]?.GetValue<string>() == Project,
            "application_credential" => identity!["application_credential"] is { } credential
                                        && credential["id"]?.GetValue<string>() == ApplicationCredentialId
                                        && credential["secret"]?.GetValue<string>() == ApplicationCredentialSecret,
            _ => false,
        };
        if (!ok)
            return Results.Json(new JsonObject
            {
                ["error"] = new JsonObject { ["code"] = 401, ["message"] = "The request you have made requires authentication.", ["title"] = "Unauthorized" },
            }, statusCode: 401);

        var token = "gAAAAA" + Guid.NewGuid().ToString("N");
        lock (_lock)
        {
            _tokens.Add(token);
            TokensIssued++;
        }

        http.Response.Headers["X-Subject-Token"] = token;
        var now = DateTimeOffset.UtcNow;
        return Results.Json(new JsonObject
        {
            ["token"] = new JsonObject
            {
                ["methods"] = new JsonArray(method),
                ["issued_at"] = now.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ"),
                ["expires_at"] = (now + TokenLifetime).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ"),
                ["project"] = new JsonObject { ["id"] = "a6944d763bf64ee6a275f1263fae0352", ["name"] = Project, ["domain"] = new JsonObject { ["id"] = "default", ["name"] = "Default" } },
                ["user"] = new JsonObject { ["id"] = "ee4dfb6e5540447cb3741905149d9b6e", ["name"] = User, ["domain"] = new JsonObject { ["id"] = "default", ["name"] = "Default" } },
                ["catalog"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "identity", ["name"] = "keystone",
                        ["endpoints"] = new JsonArray(new JsonObject { ["interface"] = "public", ["region"] = "RegionOne", ["region_id"] = "RegionOne", ["url"] = new Uri(Url, "/identity/v3").ToString() }),
                    },
                    new JsonObject
                    {
                        ["type"] = "compute", ["name"] = "nova",
                        ["endpoints"] = new JsonArray(
                            new JsonObject { ["interface"] = "internal", ["region"] = "RegionOne", ["region_id"] = "RegionOne", ["url"] = "http://10.0.0.1:8774/v2.1" },
                            new JsonObject { ["interface"] = "public", ["region"] = "RegionOne", ["region_id"] = "RegionOne", ["url"] = new Uri(Url, "/compute/v2.1").ToString() }),
                    }),
            },
        }, statusCode: 201);
    }

    /// <summary>"Create Server": 202 with {server: {id, links, adminPass, security_groups, OS-DCF:diskConfig}}; 400 for an
    /// unknown image, flavor or key pair or bad user data, 403 past the instance quota.</summary>
    private async Task<IResult> CreateServer(HttpContext http)
    {
        var request = (await JsonNode.ParseAsync(http.Request.Body))?["server"] as JsonObject;
        var name = request?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name)) return Error(400, "badRequest", "Invalid input for field/attribute server. Value: None. 'name' is a required property");
        if (request!["imageRef"]?.GetValue<string>() != ImageId) return Error(400, "badRequest", $"Image {request["imageRef"]} could not be found.");
        if (request["flavorRef"]?.GetValue<string>() != FlavorId) return Error(400, "badRequest", $"Flavor {request["flavorRef"]} could not be found.");
        if (request["key_name"] is { } key && key.GetValue<string>() != KeyName) return Error(400, "badRequest", "Invalid key_name provided.");
        if (request["user_data"]?.GetValue<string>() is { } userData)
        {
            if (userData.Length > 65535) return Error(400, "badRequest", "User data too large. User data must be no larger than 65535 bytes once base64 encoded.");
            if (!Convert.TryFromBase64String(userData, new byte[userData.Length], out _)) return Error(400, "badRequest", "User data needs to be valid base 64.");
        }

        Server server;
        lock (_lock)
        {
            CreateRequests++;
            if (_servers.Count >= InstanceQuota)
                return Error(403, "forbidden", $"Quota exceeded for instances: Requested 1, but already used {_servers.Count} of {InstanceQuota} instances");
            var n = ++_next;
            server = new Server
            {
                Id = Guid.NewGuid().ToString(), Name = name, Request = (JsonObject)request.DeepClone(), Ip = _addresses.Address(n),
                CreatedAt = DateTimeOffset.UtcNow, WillFail = NextBuildFails,
            };
            NextBuildFails = false;
            _servers.Add(server);
            if (DropNextCreateResponse)
            {
                DropNextCreateResponse = false;
                http.Abort();
                return Results.Empty;
            }
        }

        return Results.Json(new JsonObject
        {
            ["server"] = new JsonObject
            {
                ["id"] = server.Id,
                ["links"] = new JsonArray(new JsonObject { ["rel"] = "self", ["href"] = new Uri(Url, $"/compute/v2.1/servers/{server.Id}").ToString() }),
                ["OS-DCF:diskConfig"] = "MANUAL",
                ["adminPass"] = "kJTmMkszoB6A",
                ["security_groups"] = new JsonArray(new JsonObject { ["name"] = SecurityGroup }),
            },
        }, statusCode: 202);
    }

    /// <summary>"List Servers Detailed": name is a regular expression; limit and marker page through, with a "next" link in servers_links.</summary>
    private IResult ListServers(string? name, int? limit, string? marker)
    {
        List<Server> matching;
        lock (_lock) matching = _servers.Where(s => name is null || Regex.IsMatch(s.Name, name)).ToList();
        var start = marker is null ? 0 : matching.FindIndex(s => s.Id == marker) + 1;
        var size = Math.Min(limit ?? PageSize, PageSize);
        var page = matching.Skip(start).Take(size).ToList();
        var body = new JsonObject { ["servers"] = new JsonArray(page.Select(s => (JsonNode)ServerJson(s)).ToArray()) };
        if (start + size < matching.Count)
            body["servers_links"] = new JsonArray(new JsonObject
            {
                ["rel"] = "next",
                ["href"] = new Uri(Url, $"/compute/v2.1/servers/detail?limit={size}&marker={page[^1].Id}{(name is null ? "" : "&name=" + Uri.EscapeDataString(name))}").ToString(),
            });
        return Results.Json(body);
    }

    private Server? Find(string id)
    {
        lock (_lock) return _servers.FirstOrDefault(s => s.Id == id);
    }

    /// <summary>A server as "Show Server Details" gives it: BUILD until its build time is over, then ACTIVE with its address
    /// (its "agent" answering from then on) or ERROR with a fault.</summary>
    private JsonObject ServerJson(Server server)
    {
        lock (_lock)
        {
            if (server.Status == "BUILD" && DateTimeOffset.UtcNow - server.CreatedAt >= BuildTime)
            {
                server.Status = server.WillFail ? "ERROR" : "ACTIVE";
                if (!server.WillFail && _servers.Contains(server)) server.Health = new FakeVmHealth(server.Ip, AgentPort);
            }

            var json = new JsonObject
            {
                ["id"] = server.Id,
                ["name"] = server.Name,
                ["status"] = server.Status,
                ["OS-EXT-STS:task_state"] = server.Status == "BUILD" ? "spawning" : null,
                ["OS-EXT-STS:vm_state"] = server.Status switch { "BUILD" => "building", "ERROR" => "error", _ => "active" },
                ["accessIPv4"] = "",
                ["accessIPv6"] = "",
                ["addresses"] = server.Status == "ACTIVE"
                    ? new JsonObject { ["private"] = new JsonArray(new JsonObject { ["addr"] = server.Ip, ["version"] = 4, ["OS-EXT-IPS:type"] = "fixed" }) }
                    : new JsonObject(),
                ["metadata"] = server.Request["metadata"]?.DeepClone() ?? new JsonObject(),
                ["key_name"] = server.Request["key_name"]?.DeepClone(),
                ["image"] = new JsonObject { ["id"] = ImageId },
                ["flavor"] = new JsonObject { ["id"] = FlavorId },
                ["created"] = server.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                ["tenant_id"] = "a6944d763bf64ee6a275f1263fae0352",
                ["user_id"] = "ee4dfb6e5540447cb3741905149d9b6e",
            };
            if (server.Status == "ERROR") json["fault"] = new JsonObject { ["code"] = 500, ["message"] = "No valid host was found. There are not enough hosts available.", ["created"] = server.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ") };
            return json;
        }
    }

    private static JsonObject ImageJson() => new() { ["id"] = ImageId, ["name"] = ImageName, ["status"] = "ACTIVE", ["links"] = new JsonArray() };

    private static IResult Error(int status, string kind, string message) =>
        Results.Json(new JsonObject { [kind] = new JsonObject { ["code"] = status, ["message"] = message } }, statusCode: status);

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
            foreach (var server in _servers) server.Health?.Dispose();
        await _app.DisposeAsync();
    }
}
