using System.Collections.Concurrent;
using System.Diagnostics;
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

    private static async Task AddStartedApplications(ServiceScenario scenario, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var service = await scenario.AddService(await scenario.NewApplicationId());
            await scenario.Start(service.Str("id"));
        }
    }

    /// <summary>The PostgreSQL commands run for one request, found by the trace id the request carries.</summary>
    private async Task<int> RoundTrips(ServiceScenario scenario, int expectedApplications)
    {
        var trace = ActivityTraceId.CreateRandom();
        var commands = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            // The request's own activity carries the trace into the resolvers; Npgsql starts one per command.
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.Source.Name == "Npgsql" && a.TraceId == trace) commands.Add(a);
            },
        };
        ActivitySource.AddActivityListener(listener);

        using var http = app.Http();
        http.DefaultRequestHeaders.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        var data = await new GraphQLClient(http, scenario.Client.Token).Ok(Everything);

        var applications = data.Items("applications");
        Assert.Equal(expectedApplications, applications.Count);
        Assert.All(applications, a => Assert.NotEmpty(Assert.Single(a.Items("services")).Items("nodes")));
        return commands.Count;
    }
}
