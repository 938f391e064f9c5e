using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Domain.Services;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Services;

/// <summary>Every refusal names the contract's code (and the field for bad input), and leaves nothing behind.</summary>
public sealed class ServiceBadInputTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<ServiceScenario> User(int? credit = null) => ServiceScenario.ForNewUser(app, credit);

    private async Task<int> StoredServices(string applicationId)
    {
        var id = Guid.Parse(applicationId);
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return await session.Query<Service>().CountAsync(s => s.ApplicationId == id, Ct);
    }

    /// <summary>Sends a request that must be refused with <paramref name="code"/> and checks the service's stream did not move.</summary>
    private static async Task<JsonObject> RefusedAndUnchanged(ServiceScenario user, string serviceId, string code, string document, object variables)
    {
        var version = await user.StreamVersion(serviceId);
        var vms = await user.VmCount(serviceId);
        var error = await user.Client.Fails(code, document, variables);
        Assert.Equal(version, await user.StreamVersion(serviceId));
        Assert.Equal(vms, await user.VmCount(serviceId));
        return error;
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("PHP")]
    [InlineData("")]
    [InlineData("php ")]
    public async Task an_unknown_service_type_is_refused_listing_the_known_ones_and_nothing_is_stored(string type)
    {
        var user = await User();
        var appId = await user.NewApplicationId();

        var error = await user.Client.Fails("UNKNOWN_SERVICE_TYPE", Ops.AddService, new { app = appId, type, name = (string?)null, key = (string?)null });

        Assert.Equal($"Unknown service type '{type}'. Available types: [php, java, mysql, xtreemfs, generic, helloworld]", error.Message());
        Assert.Equal(["php", "java", "mysql", "xtreemfs", "generic", "helloworld"],
            error["extensions"]!["available"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(1, await user.StreamVersion(appId));
        Assert.Equal(0, await StoredServices(appId));
        Assert.Empty((await user.Application(appId)).Items("services"));

        // The refused one used no sid.
        Assert.Equal(1, (await user.AddService(appId)).Int("sid"));
    }

    public static TheoryData<string> BadNames => new()
    {
        new string('s', 257),
        "bad\u0001name",
        "bell\u0007",
        "in\u0000side",
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task a_bad_service_name_is_refused_naming_the_field_and_nothing_is_stored(string name)
    {
        var user = await User();
        var appId = await user.NewApplicationId();

        var error = await user.Client.Fails("INVALID_INPUT", Ops.AddService, new { app = appId, type = "php", name, key = (string?)null });
        Assert.Equal("name", error.Field());
        Assert.Equal(1, await user.StreamVersion(appId));
        Assert.Equal(0, await StoredServices(appId));

        var id = (await user.AddService(appId)).Str("id");
        var renamed = await RefusedAndUnchanged(user, id, "INVALID_INPUT", Ops.RenameService, new { id, name, v = (int?)null });
        Assert.Equal("name", renamed.Field());
        Assert.Equal("New helloworld service", (await user.Service(id)).Str("name"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task a_service_cannot_be_renamed_to_nothing(string name)
    {
        var user = await User();
        var id = (await user.AddService(await user.NewApplicationId())).Str("id");
        Assert.Equal("name", (await RefusedAndUnchanged(user, id, "INVALID_INPUT", Ops.RenameService, new { id, name, v = (int?)null })).Field());
    }

    [Fact]
    public async Task a_service_name_of_256_characters_is_accepted()
    {
        var user = await User();
        var name = new string('s', 256);
        Assert.Equal(name, (await user.AddService(await user.NewApplicationId(), name: name)).Str("name"));
    }

    [Fact]
    public async Task add_service_to_a_malformed_unknown_or_foreign_application_is_refused()
    {
        var user = await User();
        var malformed = await user.Client.Fails("INVALID_INPUT", Ops.AddService, new { app = "app-1", type = "php", name = (string?)null, key = (string?)null });
        Assert.Equal("applicationId", malformed.Field());
        await user.Client.Fails("NOT_FOUND", Ops.AddService, new { app = Guid.NewGuid().ToString(), type = "php", name = (string?)null, key = (string?)null });

        var other = await User();
        var foreign = await other.NewApplicationId();
        await user.Client.Fails("NOT_FOUND", Ops.AddService, new { app = foreign, type = "php", name = (string?)null, key = (string?)null });
        Assert.Equal(0, await StoredServices(foreign));
    }

    [Theory]
    [InlineData("mars")]
    [InlineData("Default")]
    public async Task start_on_an_unknown_cloud_names_the_available_ones_and_requests_no_vm(string cloud)
    {
        var user = await User();
        var id = (await user.AddService(await user.NewApplicationId())).Str("id");

        var error = await RefusedAndUnchanged(user, id, "UNKNOWN_CLOUD", Ops.StartService, new { id, cloud });

        Assert.Equal($"Unknown cloud: {cloud}. Available clouds: [default]", error.Message());
        Assert.Equal(["default"], error["extensions"]!["available"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("cloud", error.Field());
        Assert.Equal("INIT", (await user.Service(id)).Str("state"));
        Assert.Equal(0, await user.VmCount(id));
    }

    [Fact]
    public async Task start_names_the_default_cloud_when_asked_for_by_name()
    {
        var user = await User();
        var id = (await user.AddService(await user.NewApplicationId())).Str("id");
        Assert.Equal("default", (await user.Start(id, "default")).Str("cloud"));
    }

    public static TheoryData<string, string, string, string?> BadNodeRequests => new()
    {
        // nodes (JSON), code, field, expected message (null: any)
        { """[{ "count": 0 }]""", "INVALID_INPUT", "count", "Invalid number of nodes 0" },
        { """[{ "count": -3 }]""", "INVALID_INPUT", "count", "Invalid number of nodes -3" },
        { """[{ "count": 1 }, { "count": -1 }]""", "INVALID_INPUT", "count", "Invalid number of nodes -1" },
        { """[{ "role": "x", "count": 1 }]""", "INVALID_INPUT", "role", "Wrong node type 'x' for service type 'helloworld'." },
        { """[{ "role": "backend", "count": 1 }]""", "INVALID_INPUT", "role", "Wrong node type 'backend' for service type 'helloworld'." },
        { """[]""", "INVALID_INPUT", "nodes", null },
        { """[{ "count": 257 }]""", "INVALID_INPUT", "count", "Invalid number of nodes 257: at most 256 per request" },
        { """[{ "count": 200 }, { "count": 100 }]""", "INVALID_INPUT", "count", "Invalid number of nodes 300: at most 256 per request" },
    };

    [Theory]
    [MemberData(nameof(BadNodeRequests))]
    public async Task bad_node_counts_are_refused_by_add_and_remove_nodes_and_nothing_changes(string nodes, string code, string field, string? message)
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");

        foreach (var document in new[] { Ops.AddNodes, Ops.RemoveNodes })
        {
            var error = await RefusedAndUnchanged(user, id, code, document, new { id, nodes = JsonNode.Parse(nodes), v = (int?)null });
            Assert.Equal(field, error.Field());
            if (message is not null) Assert.Equal(message, error.Message());
        }

        var after = await user.Service(id);
        Assert.Equal("RUNNING", after.Str("state"));
        Assert.Equal(1, after.Desired("node"));
    }

    [Fact]
    public async Task add_nodes_on_an_unknown_cloud_is_refused_and_requests_no_vm()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var error = await RefusedAndUnchanged(user, id, "UNKNOWN_CLOUD", Ops.AddNodes, new { id, nodes = Ops.Nodes(1, cloud: "mars"), v = (int?)null });
        Assert.Equal(["default"], error["extensions"]!["available"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal("RUNNING", (await user.Service(id)).Str("state"));
    }

    [Fact]
    public async Task nodes_of_a_non_default_role_are_added_and_removed_by_name()
    {
        var user = await User();
        var (_, running) = await user.RunningService("php");
        var id = running.Str("id");

        var adding = await user.AddNodes(id, 2, role: "proxy");
        Assert.Equal(2, adding.Desired("proxy"));
        Assert.Equal(1, adding.Desired("backend"));
        Assert.Equal(2, adding.LiveAgents().Count(n => n.Str("serviceRole") == "proxy"));
        await user.BootAll(id);

        var tooMany = await user.Client.Fails("INVALID_INPUT", Ops.RemoveNodes, new { id, nodes = Ops.Nodes(1, role: "backend"), v = (int?)null });
        Assert.Equal("Requesting to delete 1 nodes while only 0 can be removed", tooMany.Message());

        var removing = await user.RemoveNodes(id, 2, role: "proxy");
        Assert.Equal(0, removing.Desired("proxy"));
        await user.TerminateAll(id);
        var after = await user.Service(id);
        Assert.Equal("RUNNING", after.Str("state"));
        Assert.Equal("backend", Assert.Single(after.LiveAgents()).Str("serviceRole"));
    }

    [Fact]
    public async Task a_stale_expected_version_is_a_version_conflict_with_the_current_version()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var current = running.Int("version");

        foreach (var document in new[] { Ops.AddNodes, Ops.RemoveNodes })
        {
            var error = await RefusedAndUnchanged(user, id, "VERSION_CONFLICT", document, new { id, nodes = Ops.Nodes(1), v = current - 1 });
            Assert.Equal(current, error["extensions"]!["currentVersion"]!.GetValue<int>());
        }

        var renamed = await RefusedAndUnchanged(user, id, "VERSION_CONFLICT", Ops.RenameService, new { id, name = "x", v = current + 5 });
        Assert.Equal(current, renamed["extensions"]!["currentVersion"]!.GetValue<int>());

        // The current version is accepted.
        var added = (await user.Client.Ok(Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = current }))["addNodes"]!;
        Assert.Equal(2, added.Desired("node"));
        await user.BootAll(id);
        var now = (await user.Service(id)).Int("version");
        Assert.Equal(1, (await user.Client.Ok(Ops.RemoveNodes, new { id, nodes = Ops.Nodes(1), v = now }))["removeNodes"]!.Desired("node"));
    }

    public static TheoryData<string, string> ServiceOperations => new()
    {
        { "service", "query($id: ID!) { service(id: $id) { id } }" },
        { "renameService", "mutation($id: ID!) { renameService(id: $id, name: \"n\") { id } }" },
        { "startService", "mutation($id: ID!) { startService(id: $id) { id } }" },
        { "stopService", "mutation($id: ID!) { stopService(id: $id) { id } }" },
        { "removeService", "mutation($id: ID!) { removeService(id: $id) }" },
        { "addNodes", "mutation($id: ID!) { addNodes(serviceId: $id, nodes: [{ count: 1 }]) { id } }" },
        { "removeNodes", "mutation($id: ID!) { removeNodes(serviceId: $id, nodes: [{ count: 1 }]) { id } }" },
    };

    [Theory]
    [MemberData(nameof(ServiceOperations))]
    public async Task a_malformed_service_id_is_invalid_input_naming_the_argument(string operation, string document)
    {
        var user = await User();
        var error = await user.Client.Fails("INVALID_INPUT", document, new { id = "svc-17" });
        Assert.Equal(operation is "addNodes" or "removeNodes" ? "serviceId" : "id", error.Field());
        Assert.Contains("svc-17", error.Message());
    }

    [Theory]
    [MemberData(nameof(ServiceOperations))]
    public async Task an_unknown_service_id_is_not_found(string operation, string document)
    {
        Assert.NotEmpty(operation);
        var user = await User();
        var id = Guid.NewGuid().ToString();
        var error = await user.Client.Fails("NOT_FOUND", document, new { id });
        Assert.Equal($"Service not found: {id}", error.Message());
    }

    [Theory]
    [MemberData(nameof(ServiceOperations))]
    public async Task signing_in_is_required(string operation, string document)
    {
        Assert.NotEmpty(operation);
        var owner = await User();
        var id = (await owner.AddService(await owner.NewApplicationId())).Str("id");
        await app.Client().Fails("UNAUTHENTICATED", document, new { id });
        Assert.Equal(1, await owner.StreamVersion(id));
    }

    [Theory]
    [InlineData("{ count: \"two\" }")]
    [InlineData("{ role: \"node\" }")]
    [InlineData("{ count: 2147483648 }")]
    [InlineData("{ count: 1, colour: \"red\" }")]
    public async Task a_malformed_node_count_is_invalid_input(string entry)
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        await RefusedAndUnchanged(user, id, "INVALID_INPUT", "mutation($id: ID!) { addNodes(serviceId: $id, nodes: [" + entry + "]) { id } }", new { id });
    }

    [Fact]
    public async Task an_overlong_idempotency_key_is_refused_and_nothing_is_stored()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var error = await user.Client.Fails("INVALID_INPUT", Ops.AddService, new { app = appId, type = "php", name = (string?)null, key = new string('k', 257) });
        Assert.Equal("idempotencyKey", error.Field());
        Assert.Equal(0, await StoredServices(appId));
    }
}
