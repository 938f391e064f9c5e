using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Outcomes;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.History;

/// <summary>
/// The Director with its cloud agents switched off: VM intents are recorded but no cloud is called, so the tests
/// play the cloud themselves (through <see cref="VmOutcomeRecorder"/>) and every event in the log is one they caused.
/// </summary>
public sealed class PlayedCloudApp : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Agents:Enabled"] = "false" };
}

/// <summary>
/// Small steps the history, time-travel and authorization tests share: create, rename, start, read pages of events.
/// Everything goes through /graphql as a user's script would, except VM outcomes, which come from the cloud side.
/// </summary>
internal static class Scenario
{
    public const string EventFields = "sequence streamId version type at actor correlationId data";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string S(this JsonNode? node, string key) => node![key]!.GetValue<string>();

    public static async Task<string> MyId(this GraphQLClient client) => (await client.Ok("{ me { id } }"))["me"].S("id");

    public static async Task<string> CreateApplication(this GraphQLClient client, string name) =>
        (await client.Ok("mutation($n: String!) { createApplication(name: $n) { id } }", new { n = name }))["createApplication"].S("id");

    public static async Task RenameApplication(this GraphQLClient client, string id, string name) =>
        await client.Ok("mutation($id: ID!, $n: String!) { renameApplication(id: $id, name: $n) { id } }", new { id, n = name });

    public static async Task<string> AddService(this GraphQLClient client, string applicationId, string name, string type = "helloworld") =>
        (await client.Ok("mutation($a: ID!, $t: String!, $n: String) { addService(applicationId: $a, type: $t, name: $n) { id } }",
            new { a = applicationId, t = type, n = name }))["addService"].S("id");

    public static async Task RenameService(this GraphQLClient client, string id, string name) =>
        await client.Ok("mutation($id: ID!, $n: String!) { renameService(id: $id, name: $n) { id } }", new { id, n = name });

    /// <summary>Starts the service; returns the ids of the VMs it requested (manager and agents).</summary>
    public static async Task<List<string>> StartService(this GraphQLClient client, string id)
    {
        var service = (await client.Ok("mutation($id: ID!) { startService(id: $id) { state nodes { id } } }", new { id }))["startService"]!;
        Assert.Equal("PROLOGUE", service.S("state"));
        return service["nodes"]!.AsArray().Select(n => n.S("id")).ToList();
    }

    /// <summary>Every VM of the service answers as the local cloud would: the service becomes RUNNING.</summary>
    public static async Task MakeReady(this DirectorApp app, IEnumerable<string> vmIds)
    {
        var recorder = app.Services.GetRequiredService<VmOutcomeRecorder>();
        var port = 9000;
        foreach (var vm in vmIds)
            await recorder.Record(new VmOutcome.Ready(Guid.Parse(vm), $"127.0.0.1:{port++}"), Ct);
    }

    /// <summary>The cloud reports every VM gone (after a stop or removal asked for it).</summary>
    public static async Task MakeTerminated(this DirectorApp app, IEnumerable<string> vmIds)
    {
        var recorder = app.Services.GetRequiredService<VmOutcomeRecorder>();
        foreach (var vm in vmIds)
            await recorder.Record(new VmOutcome.Terminated(Guid.Parse(vm)), Ct);
    }

    /// <summary>Every event of one stream, page by page (and checks the pages chain up).</summary>
    public static async Task<List<JsonObject>> History(this GraphQLClient client, string entityId, int pageSize = 500)
    {
        var events = new List<JsonObject>();
        string? after = null;
        for (var page = 0; ; page++)
        {
            Assert.True(page < 10_000, "history paging does not end");
            var data = (await client.Ok($"query($id: ID!, $first: Int, $after: String) {{ history(entityId: $id, first: $first, after: $after) {{ events {{ {EventFields} }} nextCursor }} }}",
                new { id = entityId, first = pageSize, after }))["history"]!;
            events.AddRange(data["events"]!.AsArray().Select(e => e!.AsObject()));
            after = data["nextCursor"]?.GetValue<string>();
            if (after is null) return events;
        }
    }

    /// <summary>Every event of the audit log the client may see under the filter, page by page.</summary>
    public static async Task<List<JsonObject>> Audit(this GraphQLClient client, object? filter = null, int pageSize = 500)
    {
        var events = new List<JsonObject>();
        string? after = null;
        for (var page = 0; ; page++)
        {
            Assert.True(page < 10_000, "auditLog paging does not end");
            var data = (await client.Ok($"query($f: AuditFilter, $first: Int, $after: String) {{ auditLog(filter: $f, first: $first, after: $after) {{ events {{ {EventFields} }} nextCursor }} }}",
                new { f = filter, first = pageSize, after }))["auditLog"]!;
            events.AddRange(data["events"]!.AsArray().Select(e => e!.AsObject()));
            after = data["nextCursor"]?.GetValue<string>();
            if (after is null) return events;
        }
    }

    public static string Type(this JsonObject e) => e.S("type");
    public static long Sequence(this JsonObject e) => e["sequence"]!.GetValue<long>();
    public static int Version(this JsonObject e) => e["version"]!.GetValue<int>();
    public static string StreamId(this JsonObject e) => e.S("streamId");
    public static DateTimeOffset At(this JsonObject e) => DateTimeOffset.Parse(e.S("at"), System.Globalization.CultureInfo.InvariantCulture);

    public static string Describe(IEnumerable<JsonObject> events) =>
        string.Join("\n", events.Select(e => $"  #{e.Sequence()} {e.StreamId()} v{e.Version()} {e.Type()} by {e.S("actor")} at {e.S("at")}"));

    /// <summary>A GraphQL POST with extra request headers (e.g. X-Correlation-Id); returns the response headers too.</summary>
    public static async Task<(JsonObject Body, HttpResponseMessage Response)> SendWithHeaders(this GraphQLClient client, string query,
        object? variables, IReadOnlyDictionary<string, string> headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        if (client.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", client.Token);
        foreach (var (k, v) in headers) request.Headers.Add(k, v);
        var response = await client.Http.SendAsync(request, Ct);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
        return (body, response);
    }

    /// <summary>Time for the database clock to move on, so that events of consecutive mutations get distinct timestamps.</summary>
    public static Task Tick() => Task.Delay(60, Ct);

    public static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The instant halfway between two event timestamps (rounded to whole microseconds, PostgreSQL's precision).</summary>
    public static DateTimeOffset Between(DateTimeOffset a, DateTimeOffset b)
    {
        var mid = a + (b - a) / 2;
        return new DateTimeOffset(mid.Ticks - mid.Ticks % 10, TimeSpan.Zero);
    }
}
