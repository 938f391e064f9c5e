using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;

namespace Conpaas.Api.Tests.Services;

/// <summary>
/// Nested fields (an application's owner, services and VMs, a service's application and nodes, a VM's service) are
/// loaded a level at a time, not once per parent: the number of database round trips of a query does not grow with the
/// number of applications in it.
/// </summary>
public sealed class NestedReadTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private const string Everything = """
        { applications { id owner { username } vms { id }
            services { id application { id } nodes { id service { id name } } } } }
        """;

    [Fact]
    public async Task the_round_trips_of_a_nested_query_do_not_grow_with_the_number_of_applications()
    {
        var scenario = await ServiceScenario.ForNewUser(app);
        await AddStartedApplications(scenario, 2);
        var few = await RoundTrips(scenario, expectedApplications: 2);
        await AddStartedApplications(scenario, 18);

        var many = await RoundTrips(scenario, expectedApplications: 20);

        // Per parent these would be 1 + 20 × (owner, services, vms) + 20 × (application, nodes) + 40 × service.
        Assert.Equal(few, many);
        Assert.InRange(many, 1, 10);
    }

    private const string ApplicationAsOf = """
        query($id: ID!, $t: DateTime) { application(id: $id, asOf: $t) { id owner { username } vms { id }
            services { id version application { id } nodes { id service { id version } } } } }
        """;

    [Fact]
    public async Task the_round_trips_of_an_as_of_read_do_not_grow_with_the_number_of_services_and_nodes()
    {
        var scenario = await ServiceScenario.ForNewUser(app);
        var small = await StartedApplication(scenario, services: 1);
        var large = await StartedApplication(scenario, services: 8);
        var asOf = DateTimeOffset.UtcNow;

        var (few, smallThen) = await RoundTrips(scenario, ApplicationAsOf, new { id = small, t = asOf });
        var (many, largeThen) = await RoundTrips(scenario, ApplicationAsOf, new { id = large, t = asOf });

        await AssertAsOf(smallThen, scenario, small, services: 1);
        await AssertAsOf(largeThen, scenario, large, services: 8);

        // Stream by stream these would be 1 + 8 × 2 (a service then and at its first event) + 8 × 2 × nodes + 8 × nodes.
        Assert.Equal(few, many);
        Assert.InRange(many, 1, 12);
    }

    /// <summary>Every service as of now, rebuilt from the log in a batch, is the one the present-time read shows.</summary>
    private static async Task AssertAsOf(JsonNode data, ServiceScenario scenario, string applicationId, int services)
    {
        var then = data["application"]!.Items("services");
        Assert.Equal(services, then.Count);
        foreach (var service in then)
        {
            Assert.Equal(applicationId, service["application"]!.Str("id"));
            var now = await scenario.Client.Ok(Ops.Service, new { id = service.Str("id") });
            Assert.Equal(now["service"]!.Int("version"), service.Int("version"));
            Assert.Equal(now["service"]!.Items("nodes").Select(n => n.Str("id")).Order(), service.Items("nodes").Select(n => n.Str("id")).Order());
            Assert.All(service.Items("nodes"), n => Assert.Equal(service.Int("version"), n["service"]!.Int("version")));
        }
    }

    private static async Task<string> StartedApplication(ServiceScenario scenario, int services)
    {
        var id = await scenario.NewApplicationId();
        for (var i = 0; i < services; i++) await scenario.Start((await scenario.AddService(id)).Str("id"));
        return id;
    }

    private static async Task AddStartedApplications(ServiceScenario scenario, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var service = await scenario.AddService(await scenario.NewApplicationId());
            await scenario.Start(service.Str("id"));
        }
    }

    private async Task<int> RoundTrips(ServiceScenario scenario, int expectedApplications)
    {
        var (count, data) = await RoundTrips(scenario, Everything, null);
        var applications = data.Items("applications");
        Assert.Equal(expectedApplications, applications.Count);
        Assert.All(applications, a => Assert.NotEmpty(Assert.Single(a.Items("services")).Items("nodes")));
        return count;
    }

    /// <summary>The PostgreSQL commands run for one request, and its data.</summary>
    private async Task<(int Count, JsonNode Data)> RoundTrips(ServiceScenario scenario, string query, object? variables)
    {
        var (statements, data) = await RequestStatements.Of(app, scenario.Client.Token, query, variables);
        return (statements.Count, data);
    }
}
