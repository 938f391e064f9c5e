using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Services;
using Xunit;

namespace Conpaas.Api.Tests.BadInput;

/// <summary>addNodes/removeNodes with counts that overflow, blank roles and clouds, unknown clouds, huge lists.</summary>
public sealed class NodeCountBadInputTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private async Task<(ServiceScenario User, string Id)> Running()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var (_, running) = await user.RunningService();
        return (user, running.Str("id"));
    }

    private async Task AssertStillRunningWithOneNode(ServiceScenario user, string id)
    {
        var after = await user.Service(id);
        Assert.Equal("RUNNING", after.Str("state"));
        Assert.Equal(1, after.Desired("node"));
        Assert.Equal(2, after.LiveNodes().Count);
    }

    public static TheoryData<string, string> BadCounts => new()
    {
        // nodes (JSON), the field named
        { """[{ "count": 2147483647 }, { "count": 1 }]""", "count" },
        { """[{ "count": 2147483647 }, { "count": 2147483647 }, { "count": 2 }]""", "count" },
        { """[{ "role": "node", "count": 2147483647 }, { "role": "node", "count": 2147483647 }]""", "count" },
        { """[{ "count": 2147483647 }]""", "count" },
        { """[{ "count": -2147483648 }]""", "count" },
        { """[{ "count": 0 }]""", "count" },
        { """[{ "role": " ", "count": 1 }]""", "role" },
        { """[{ "role": "", "count": 1 }]""", "role" },
        { """[{ "count": 1, "cloud": "  " }]""", "cloud" },
        { """[{ "count": 1, "cloud": "" }]""", "cloud" },
    };

    [Theory]
    [MemberData(nameof(BadCounts))]
    public async Task bad_counts_roles_and_clouds_are_invalid_input_for_add_and_remove_and_nothing_changes(string nodes, string field)
    {
        var (user, id) = await Running();

        foreach (var document in new[] { Ops.AddNodes, Ops.RemoveNodes })
        {
            var error = await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", document,
                new { id, nodes = JsonNode.Parse(nodes), v = (int?)null });
            Assert.Equal(field, error.Field());
        }

        await AssertStillRunningWithOneNode(user, id);
    }

    [Fact]
    public async Task removing_more_nodes_than_the_service_has_is_refused_also_when_the_role_is_named_twice()
    {
        var (user, id) = await Running();
        await user.AddNodes(id, 2);
        await user.BootAll(id);

        var error = await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", Ops.RemoveNodes,
            new { id, nodes = JsonNode.Parse("""[{ "role": "node", "count": 2 }, { "count": 1 }]"""), v = (int?)null });
        Assert.Equal("count", error.Field());
        Assert.Equal("RUNNING", (await user.Service(id)).Str("state"));
    }

    [Fact]
    public async Task a_huge_list_of_nodes_is_refused_at_once()
    {
        var (user, id) = await Running();
        var nodes = Enumerable.Repeat(new { count = 1 }, 5000).ToArray();

        foreach (var document in new[] { Ops.AddNodes, Ops.RemoveNodes })
        {
            var error = await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", document, new { id, nodes, v = (int?)null });
            Assert.Equal("nodes", error.Field());
        }

        await AssertStillRunningWithOneNode(user, id);
    }

    [Fact]
    public async Task remove_nodes_on_an_unknown_cloud_names_the_available_ones()
    {
        var (user, id) = await Running();

        var error = await user.Client.RefusedAndNothingAppended(app, "UNKNOWN_CLOUD", Ops.RemoveNodes,
            new { id, nodes = Ops.Nodes(1, cloud: "mars"), v = (int?)null });

        Assert.Equal("cloud", error.Field());
        Assert.Equal(["default"], error["extensions"]!["available"]!.AsArray().Select(c => c!.GetValue<string>()));
        await AssertStillRunningWithOneNode(user, id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t")]
    public async Task starting_on_a_blank_cloud_is_invalid_input_not_the_default_cloud(string cloud)
    {
        var user = await ServiceScenario.ForNewUser(app);
        var id = (await user.AddService(await user.NewApplicationId())).Str("id");

        var error = await user.Client.RefusedAndNothingAppended(app, "INVALID_INPUT", Ops.StartService, new { id, cloud });

        Assert.Equal("cloud", error.Field());
        Assert.Equal("INIT", (await user.Service(id)).Str("state"));
    }

    [Fact]
    public async Task a_role_and_a_cloud_with_spaces_around_them_are_still_found()
    {
        var (user, id) = await Running();
        var added = (await user.Client.Ok(Ops.AddNodes, new { id, nodes = Ops.Nodes(1, role: " node ", cloud: " default "), v = (int?)null }))["addNodes"]!;
        Assert.Equal(2, added.Desired("node"));
    }
}
