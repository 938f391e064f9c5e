using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Outcomes;
using Conpaas.Domain.Vms;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Services;

/// <summary>The GraphQL documents the application and service tests send, as a user's script would.</summary>
public static class Ops
{
    public const string VmFields = "id name role serviceRole state stateReason cloud providerId address vpnAddress createdAt chargedHours";

    public const string ServiceFields =
        "id sid name type state stateReason cloud subnet version createdAt nodeCounts { role count } nodes { " + VmFields + " }";

    public const string ApplicationFields = "id name network version createdAt owner { username } services { id sid name state subnet }";

    public const string CreateApplication =
        "mutation($name: String!, $key: String) { createApplication(name: $name, idempotencyKey: $key) { " + ApplicationFields + " } }";

    public const string RenameApplication =
        "mutation($id: ID!, $name: String!, $v: Int) { renameApplication(id: $id, name: $name, expectedVersion: $v) { " + ApplicationFields + " } }";

    public const string DeleteApplication = "mutation($id: ID!) { deleteApplication(id: $id) }";

    public const string Application = "query($id: ID!) { application(id: $id) { " + ApplicationFields + " vms { id name state vpnAddress } } }";

    public const string Applications = "{ applications { id name } }";

    public const string AddService =
        "mutation($app: ID!, $type: String!, $name: String, $key: String) { addService(applicationId: $app, type: $type, name: $name, idempotencyKey: $key) { "
        + ServiceFields + " } }";

    public const string Service = "query($id: ID!) { service(id: $id) { " + ServiceFields + " } }";

    public const string ServiceWithApplication = "query($id: ID!) { service(id: $id) { " + ServiceFields + " application { id name } } }";

    public const string RenameService =
        "mutation($id: ID!, $name: String!, $v: Int) { renameService(id: $id, name: $name, expectedVersion: $v) { " + ServiceFields + " } }";

    public const string StartService = "mutation($id: ID!, $cloud: String) { startService(id: $id, cloud: $cloud) { " + ServiceFields + " } }";

    public const string StopService = "mutation($id: ID!) { stopService(id: $id) { " + ServiceFields + " } }";

    public const string RemoveService = "mutation($id: ID!) { removeService(id: $id) }";

    public const string AddNodes =
        "mutation($id: ID!, $nodes: [NodeCountInput!]!, $v: Int) { addNodes(serviceId: $id, nodes: $nodes, expectedVersion: $v) { " + ServiceFields + " } }";

    public const string RemoveNodes =
        "mutation($id: ID!, $nodes: [NodeCountInput!]!, $v: Int) { removeNodes(serviceId: $id, nodes: $nodes, expectedVersion: $v) { " + ServiceFields + " } }";

    public const string Vms =
        "query($app: ID, $terminated: Boolean, $all: Boolean) { vms(applicationId: $app, includeTerminated: $terminated, all: $all) { "
        + VmFields + " service { id sid name type application { id name } } } }";

    public static object[] Nodes(int count, string? role = null, string? cloud = null) => [new { role, count, cloud }];
}

/// <summary>
/// One user's view of the Director, plus the cloud side: VM outcomes go through the host's real
/// <see cref="VmOutcomeRecorder"/>, since no cloud agent provisions anything yet.
/// </summary>
public sealed class ServiceScenario(DirectorApp app, GraphQLClient client)
{
    private static int _port = 20000;

    public GraphQLClient Client => client;

    public static async Task<ServiceScenario> ForNewUser(DirectorApp app, int? credit = null) => new(app, await app.NewUser(credit: credit));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async Task<JsonNode> CreateApplication(string? name = null, string? key = null) =>
        (await client.Ok(Ops.CreateApplication, new { name = name ?? "app-" + Guid.NewGuid().ToString("N")[..8], key }))["createApplication"]!;

    public async Task<string> NewApplicationId() => (await CreateApplication()).Str("id");

    public async Task<JsonNode> Application(string id) => (await client.Ok(Ops.Application, new { id }))["application"]!;

    public async Task<JsonNode> AddService(string applicationId, string type = "helloworld", string? name = null, string? key = null) =>
        (await client.Ok(Ops.AddService, new { app = applicationId, type, name, key }))["addService"]!;

    public async Task<JsonNode> Service(string id) => (await client.Ok(Ops.Service, new { id }))["service"]!;

    public async Task<JsonNode> Start(string id, string? cloud = null) => (await client.Ok(Ops.StartService, new { id, cloud }))["startService"]!;

    public async Task<JsonNode> Stop(string id) => (await client.Ok(Ops.StopService, new { id }))["stopService"]!;

    public async Task<JsonNode> AddNodes(string id, int count, string? role = null, int? expectedVersion = null) =>
        (await client.Ok(Ops.AddNodes, new { id, nodes = Ops.Nodes(count, role), v = expectedVersion }))["addNodes"]!;

    public async Task<JsonNode> RemoveNodes(string id, int count, string? role = null, int? expectedVersion = null) =>
        (await client.Ok(Ops.RemoveNodes, new { id, nodes = Ops.Nodes(count, role), v = expectedVersion }))["removeNodes"]!;

    public async Task<List<JsonNode>> Vms(string? applicationId = null, bool? includeTerminated = null, bool? all = null) =>
        (await client.Ok(Ops.Vms, new { app = applicationId, terminated = includeTerminated, all }))["vms"]!.AsArray().Select(n => n!).ToList();

    /// <summary>What a cloud agent would report.</summary>
    public Task Record(VmOutcome outcome) => Record(app, outcome);

    public static Task Record(DirectorApp app, VmOutcome outcome) =>
        app.Services.GetRequiredService<VmOutcomeRecorder>().Record(outcome, Ct);

    public static string NextAddress() => $"127.0.0.1:{Interlocked.Increment(ref _port)}";

    /// <summary>Created then Ready for every VM of the service still on its way up; returns the service afterwards.</summary>
    public async Task<JsonNode> BootAll(string serviceId)
    {
        foreach (var vm in (await Service(serviceId)).Items("nodes").Where(n => n.Str("state") is "REQUESTED" or "PROVISIONING" or "BOOTING"))
        {
            var id = Guid.Parse(vm.Str("id"));
            await Record(new VmOutcome.Created(id, "local-" + id.ToString("N")[..8], null));
            await Record(new VmOutcome.Ready(id, NextAddress()));
        }

        return await Service(serviceId);
    }

    /// <summary>The cloud confirms every VM being let go (TERMINATING, or FAILED and awaiting clean-up) is gone.</summary>
    public async Task TerminateAll(string serviceId)
    {
        foreach (var vm in (await Service(serviceId)).Items("nodes").Where(n => n.Str("state") is "TERMINATING" or "FAILED"))
            await Record(new VmOutcome.Terminated(Guid.Parse(vm.Str("id"))));
    }

    /// <summary>A fresh application with one service of <paramref name="type"/>, started and with every VM ready.</summary>
    public async Task<(string ApplicationId, JsonNode Service)> RunningService(string type = "helloworld")
    {
        var appId = await NewApplicationId();
        var id = (await AddService(appId, type)).Str("id");
        await Start(id);
        var running = await BootAll(id);
        Assert.Equal("RUNNING", running.Str("state"));
        return (appId, running);
    }

    // --- The store, to prove that a refusal left nothing behind. ---

    public static async Task<long> StreamVersion(DirectorApp app, string id)
    {
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Events.FetchStreamStateAsync(Guid.Parse(id), Ct))?.Version ?? 0;
    }

    public Task<long> StreamVersion(string id) => StreamVersion(app, id);

    public async Task<int> VmCount(string serviceId)
    {
        var sid = Guid.Parse(serviceId);
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Query<Vm>().CountAsync(v => v.ServiceId == sid, Ct);
    }
}
