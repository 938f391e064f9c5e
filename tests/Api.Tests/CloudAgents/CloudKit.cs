using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Conpaas.Api.Tests.CloudAgents;

/// <summary>
/// The test classes that start real agent processes run one after another: on a 2-core machine, two of them
/// booting dozens of dotnet processes at once only measure the scheduler.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealProcesses
{
    public const string Name = "cloud agents with real processes";
}

/// <summary>One user's GraphQL view of the Director, as a user's script would use it.</summary>
internal sealed class CloudUser(GraphQLClient client)
{
    public const string VmFields = "id name role serviceRole state stateReason cloud providerId address vpnAddress";

    public const string ServiceFields =
        "id sid name type state stateReason cloud subnet version nodeCounts { role count } nodes { " + VmFields + " }";

    public GraphQLClient Client => client;

    public static async Task<CloudUser> New(DirectorApp app) => new(await app.NewUser());

    /// <summary>Registers a user on a Director started as a process and signs in.</summary>
    public static async Task<CloudUser> Register(GraphQLClient anonymous)
    {
        var name = "u" + Guid.NewGuid().ToString("N")[..10];
        await anonymous.Ok("mutation($input: RegisterInput!) { register(input: $input) { id } }",
            new { input = new { username = name, email = $"{name}@example.org", password = "password-" + name } });
        return await SignIn(anonymous, name);
    }

    /// <summary>
    /// Signs in as a user made by <see cref="Register"/>. A login that races with another write of the user's stream
    /// (the credit charger charging the user's new VMs) is answered CONFLICT; like any client, this one tries again.
    /// </summary>
    public static async Task<CloudUser> SignIn(GraphQLClient anonymous, string name)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await anonymous.Send("mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                new { u = name, p = "password-" + name });
            if (response.Errors is null)
                return new CloudUser(new GraphQLClient(anonymous.Http, response.Data!["login"]!.Str("token"))) { Name = name };
            var conflict = response.Errors[0]!["extensions"]?["code"]?.GetValue<string>() == "CONFLICT";
            Wait.Log($"login of {name} failed (attempt {attempt}): {response.Errors.ToJsonString()}");
            Assert.True(conflict && attempt < 5, $"login of {name} failed: {response.Errors.ToJsonString()}");
            await Task.Delay(200 * attempt, Wait.Ct);
        }
    }

    /// <summary>The user name, for a user made by <see cref="Register"/>.</summary>
    public string Name { get; private init; } = "";

    public async Task<string> CreateApplication() =>
        (await client.Ok("mutation($name: String!) { createApplication(name: $name) { id } }",
            new { name = "app-" + Guid.NewGuid().ToString("N")[..8] }))["createApplication"]!.Str("id");

    public async Task<JsonNode> Application(string id) =>
        (await client.Ok("query($id: ID!) { application(id: $id) { id name network } }", new { id }))["application"]!;

    public async Task<string> AddService(string applicationId, string type = "helloworld") =>
        (await client.Ok("mutation($app: ID!, $type: String!) { addService(applicationId: $app, type: $type) { id } }",
            new { app = applicationId, type }))["addService"]!.Str("id");

    public async Task<JsonNode> Service(string id) =>
        (await client.Ok("query($id: ID!) { service(id: $id) { " + ServiceFields + " } }", new { id }))["service"]!;

    public async Task<JsonNode> Start(string id, string? cloud = null) =>
        (await client.Ok("mutation($id: ID!, $cloud: String) { startService(id: $id, cloud: $cloud) { " + ServiceFields + " } }",
            new { id, cloud }))["startService"]!;

    public async Task<JsonNode> Stop(string id) =>
        (await client.Ok("mutation($id: ID!) { stopService(id: $id) { " + ServiceFields + " } }", new { id }))["stopService"]!;

    public const string AddNodesMutation =
        "mutation($id: ID!, $nodes: [NodeCountInput!]!) { addNodes(serviceId: $id, nodes: $nodes) { " + ServiceFields + " } }";

    public const string RemoveNodesMutation =
        "mutation($id: ID!, $nodes: [NodeCountInput!]!) { removeNodes(serviceId: $id, nodes: $nodes) { " + ServiceFields + " } }";

    public async Task<JsonNode> AddNodes(string id, int count, string? cloud = null) => await AddNodes(id, (count, cloud));

    /// <summary>One addNodes with several counts, e.g. some VMs on one cloud and some on another.</summary>
    public async Task<JsonNode> AddNodes(string id, params (int Count, string? Cloud)[] nodes) =>
        (await client.Ok(AddNodesMutation, new { id, nodes = nodes.Select(n => new { count = n.Count, cloud = n.Cloud }).ToArray() }))["addNodes"]!;

    public async Task<JsonNode> RemoveNodes(string id, int count) =>
        (await client.Ok(RemoveNodesMutation, new { id, nodes = new object[] { new { count } } }))["removeNodes"]!;

    public async Task<List<JsonNode>> Vms(string applicationId, bool includeTerminated) =>
        (await client.Ok("query($app: ID, $t: Boolean) { vms(applicationId: $app, includeTerminated: $t) { " + VmFields + " service { id } } }",
            new { app = applicationId, t = includeTerminated }))["vms"]!.AsArray().Select(n => n!).ToList();

    /// <summary>Every event of one stream (service, VM, …), oldest first.</summary>
    public async Task<List<JsonNode>> History(string entityId) =>
        (await client.Ok("query($id: ID!) { history(entityId: $id, first: 1000) { events { version type actor data } } }",
            new { id = entityId }))["history"]!.Items("events");

    public async Task<JsonArray> Clouds() =>
        (await client.Ok("{ clouds { name driver isDefault healthy problems } }"))["clouds"]!.AsArray();

    /// <summary>Waits for the service to reach the state; a service in ERROR (when that is not what is awaited) fails at once.</summary>
    public Task<JsonNode> WaitFor(string id, string state, TimeSpan? timeout = null) =>
        Wait.Until(() => Service(id), s => s.Str("state") == state, timeout ?? Wait.Long, $"service {id} {state}",
            s => state != "ERROR" && s.Str("state") == "ERROR" ? $"the service is in ERROR: {s.StrOrNull("stateReason")}" : null);
}

/// <summary>What an agent answers over HTTP.</summary>
internal static class AgentHttp
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static async Task<string?> Get(string address, string path = "/")
    {
        try
        {
            return await Http.GetStringAsync($"http://{address}{path}", Wait.Ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}

/// <summary>Keeps what the host logs, to show which failures a flaky cloud really produced.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<Entry> _entries = new();

    /// <summary>What the Director's own code logged.</summary>
    public IReadOnlyList<string> Lines => _lines.ToList();

    /// <summary>Everything an operator would see (every category, at the levels the host's configuration lets through).</summary>
    public IReadOnlyList<Entry> Entries => _entries.ToList();

    public sealed record Entry(LogLevel Level, string Category, string Message, Exception? Exception)
    {
        public override string ToString() => $"{Level} {Category}: {Message}{(Exception is null ? "" : " " + Exception.GetType().Name)}";
    }

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, CapturedLogs logs) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            logs._entries.Enqueue(new Entry(logLevel, category, message, exception));
            if (category.StartsWith("Conpaas", StringComparison.Ordinal)) logs._lines.Enqueue($"{logLevel} {category}: {message}");
        }
    }
}
