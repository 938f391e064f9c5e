using System.Globalization;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;
using static Conpaas.Api.Tests.History.Scenario;

namespace Conpaas.Api.Tests.History;

/// <summary>application(id, asOf) and service(id, asOf): objects rebuilt from the event log as they were at a time.</summary>
public sealed class TimeTravelTests(PlayedCloudApp app) : IClassFixture<PlayedCloudApp>
{
    private const string ApplicationAsOf =
        "query($id: ID!, $t: DateTime) { application(id: $id, asOf: $t) { id name version services { name state } vms { state } } }";

    private const string ServiceAsOf =
        "query($id: ID!, $t: DateTime) { service(id: $id, asOf: $t) { id name state version cloud nodes { id state } application { name } } }";

    private static async Task<JsonNode> Application(GraphQLClient client, string id, DateTimeOffset? t) =>
        (await client.Ok(ApplicationAsOf, new { id, t = t is { } v ? Iso(v) : null }))["application"]!;

    private static async Task<JsonNode> Service(GraphQLClient client, string id, DateTimeOffset? t) =>
        (await client.Ok(ServiceAsOf, new { id, t = t is { } v ? Iso(v) : null }))["service"]!;

    [Fact]
    public async Task an_application_as_it_was_after_its_last_event_has_the_service_that_event_added()
    {
        // addService appends to the application's stream and starts the service's stream in one commit; the service's
        // first event comes a few microseconds after the application's, which is the last event its history shows.
        var user = await app.NewUser();
        var id = await user.CreateApplication("shop");
        await user.AddService(id, "web");

        var last = (await user.History(id))[^1];
        var then = await Application(user, id, last.At());

        Assert.Equal("ServiceSubnetAllocated", last.Type());
        Assert.Equal(["web"], then["services"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task an_application_as_of_a_time_between_two_renames_has_the_name_it_had_then()
    {
        var user = await app.NewUser();
        var id = await user.CreateApplication("A");
        await Tick();
        await user.RenameApplication(id, "B");
        await Tick();
        var clientClockBetween = DateTimeOffset.UtcNow; // a time a script would take from its own clock
        await Tick();
        await user.RenameApplication(id, "C");

        var events = await user.History(id);
        Assert.Equal(["ApplicationCreated", "ApplicationRenamed", "ApplicationRenamed"], events.Select(e => e.Type()));
        var (created, toB, toC) = (events[0].At(), events[1].At(), events[2].At());
        Assert.True(created < toB && toB < toC, "the renames need distinct timestamps:\n" + Describe(events));

        var then = await Application(user, id, Between(toB, toC));
        Assert.Equal("B", then.S("name"));
        Assert.Equal(2, then["version"]!.GetValue<int>());
        Assert.Equal("B", (await Application(user, id, clientClockBetween)).S("name"));

        var first = await Application(user, id, Between(created, toB));
        Assert.Equal("A", first.S("name"));
        Assert.Equal(1, first["version"]!.GetValue<int>());

        var now = await Application(user, id, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal("C", now.S("name"));
        Assert.Equal(3, now["version"]!.GetValue<int>());
        Assert.Equal("C", (await Application(user, id, null)).S("name"));
    }

    [Fact]
    public async Task as_of_the_exact_time_of_an_event_includes_that_event()
    {
        var user = await app.NewUser();
        var id = await user.CreateApplication("A");
        await Tick();
        await user.RenameApplication(id, "B");
        await Tick();
        await user.RenameApplication(id, "C");
        var events = await user.History(id);

        Assert.Equal("A", (await Application(user, id, events[0].At())).S("name"));
        Assert.Equal("B", (await Application(user, id, events[1].At())).S("name"));
        Assert.Equal("C", (await Application(user, id, events[2].At())).S("name"));
    }

    [Fact]
    public async Task an_application_as_of_a_time_before_it_was_created_is_not_found()
    {
        var user = await app.NewUser();
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var id = await user.CreateApplication("late");
        var created = (await user.History(id))[0].At();

        foreach (var t in new[] { before, created.AddTicks(-10), new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero) })
        {
            var error = await user.Fails("NOT_FOUND", ApplicationAsOf, new { id, t = Iso(t) });
            var missing = Guid.NewGuid().ToString();
            var unknown = await user.Fails("NOT_FOUND", ApplicationAsOf, new { id = missing, t = Iso(t) });
            Assert.Equal(unknown["message"]!.GetValue<string>().Replace(missing, "<id>"), error["message"]!.GetValue<string>().Replace(id, "<id>"));
        }
    }

    [Fact]
    public async Task as_of_with_a_non_utc_offset_means_the_same_instant()
    {
        var user = await app.NewUser();
        var id = await user.CreateApplication("A");
        var serviceId = await user.AddService(id, "s-A");
        await Tick();
        await user.RenameApplication(id, "B");
        await user.RenameService(serviceId, "s-B");
        await Tick();
        await user.RenameApplication(id, "C");
        await user.RenameService(serviceId, "s-C");
        var events = await user.History(id);
        var serviceEvents = await user.History(serviceId);
        Assert.Equal(["ApplicationCreated", "ServiceSubnetAllocated", "ApplicationRenamed", "ApplicationRenamed"], events.Select(e => e.Type()));
        Assert.Equal(["ServiceAdded", "ServiceRenamed", "ServiceRenamed"], serviceEvents.Select(e => e.Type()));
        var t = Between(serviceEvents[1].At(), events[3].At()); // after the renames to B, before the renames to C

        var problems = new List<string>();
        foreach (var offset in new[] { TimeSpan.Zero, TimeSpan.FromHours(2), TimeSpan.FromHours(-7), TimeSpan.FromMinutes(330) })
        {
            var text = t.ToOffset(offset).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture);
            foreach (var (field, query, wanted) in new[]
                     {
                         ("application", "query($id: ID!, $t: DateTime) { application(id: $id, asOf: $t) { name } }", "B"),
                         ("service", "query($id: ID!, $t: DateTime) { service(id: $id, asOf: $t) { name } }", "s-B"),
                     })
            {
                var response = await user.Send(query, new { id = field == "application" ? id : serviceId, t = text });
                var name = response.Data?[field]?["name"]?.GetValue<string>();
                if (response.Errors is not null || name != wanted)
                    problems.Add($"{field}(asOf: \"{text}\") should be named {wanted}: {response.Body.ToJsonString()}");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task a_service_as_of_a_time_has_the_name_and_state_it_had_then()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("svc-app");
        var beforeService = DateTimeOffset.UtcNow;
        await Tick();
        var id = await user.AddService(appId, "s1");
        await Tick();
        await user.RenameService(id, "s2");
        await Tick();
        await user.RenameService(id, "s3");
        await Tick();
        var vms = await user.StartService(id);
        await Tick();
        await app.MakeReady(vms);

        var events = await user.History(id);
        Assert.Equal(["ServiceAdded", "ServiceRenamed", "ServiceRenamed", "ServiceStartRequested", "NodesRequested", "NodeReady", "NodeReady", "ServiceRunning"],
            events.Select(e => e.Type()));
        var added = events[0].At();
        var toS2 = events[1].At();
        var toS3 = events[2].At();
        var start = events[3].At();
        var ready = events[5].At();

        var initial = await Service(user, id, Between(added, toS2));
        Assert.Equal("s1", initial.S("name"));
        Assert.Equal("INIT", initial.S("state"));
        Assert.Equal(1, initial["version"]!.GetValue<int>());
        Assert.Null(initial["cloud"]);
        Assert.Empty(initial["nodes"]!.AsArray());

        var renamed = await Service(user, id, Between(toS2, toS3));
        Assert.Equal("s2", renamed.S("name"));
        Assert.Equal("INIT", renamed.S("state"));
        Assert.Equal(2, renamed["version"]!.GetValue<int>());

        var beforeStart = await Service(user, id, Between(toS3, start));
        Assert.Equal("s3", beforeStart.S("name"));
        Assert.Equal("INIT", beforeStart.S("state"));

        var starting = await Service(user, id, Between(start, ready));
        Assert.Equal("PROLOGUE", starting.S("state"));
        Assert.Equal("default", starting.S("cloud"));
        Assert.Equal(5, starting["version"]!.GetValue<int>());
        var nodes = starting["nodes"]!.AsArray();
        Assert.Equal(vms.Order(), nodes.Select(n => n.S("id")).Order());
        Assert.All(nodes, n => Assert.Equal("REQUESTED", n.S("state")));

        var current = await Service(user, id, null);
        Assert.Equal("RUNNING", current.S("state"));
        Assert.All(current["nodes"]!.AsArray(), n => Assert.Equal("RUNNING", n.S("state")));
        Assert.Equal("RUNNING", (await Service(user, id, DateTimeOffset.UtcNow.AddSeconds(5))).S("state"));

        await user.Fails("NOT_FOUND", ServiceAsOf, new { id, t = Iso(beforeService) });
        await user.Fails("NOT_FOUND", ServiceAsOf, new { id, t = Iso(added.AddTicks(-10)) });
    }

    [Fact]
    public async Task an_application_as_of_a_time_shows_its_services_and_vms_as_they_were()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("then-and-now");
        var early = await user.AddService(appId, "early");
        var vms = await user.StartService(early);
        await Tick();
        var appEvents = await user.History(appId);
        var t = DateTimeOffset.UtcNow;
        await Tick();

        // After t: the early service is renamed, its VMs come up, it is removed; a late service is added.
        await user.RenameService(early, "early-renamed");
        await app.MakeReady(vms);
        var late = await user.AddService(appId, "late");
        await user.Ok("mutation($id: ID!) { removeService(id: $id) }", new { id = early });
        await app.MakeTerminated(vms);

        var afterT = (await user.History(appId)).Where(e => e.At() > t).Select(e => e.Type()).ToList();
        Assert.Equal(["ServiceSubnetAllocated", "ServiceSubnetReleased"], afterT);
        Assert.True(appEvents[^1].At() < t);

        var then = await Application(user, appId, t);
        var services = then["services"]!.AsArray();
        Assert.Equal(["early"], services.Select(s => s.S("name")));
        Assert.Equal("PROLOGUE", services[0].S("state"));
        var thenVms = then["vms"]!.AsArray();
        Assert.Equal(2, thenVms.Count);
        Assert.All(thenVms, v => Assert.Equal("REQUESTED", v.S("state")));

        var now = await Application(user, appId, null);
        Assert.Equal(["late"], now["services"]!.AsArray().Select(s => s.S("name")));
        Assert.DoesNotContain(now["vms"]!.AsArray(), v => v.S("state") == "REQUESTED");

        var nowAsOf = await Application(user, appId, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.Equal(["late"], nowAsOf["services"]!.AsArray().Select(s => s.S("name")));
        Assert.Equal(late, (await user.Ok("query($id: ID!) { application(id: $id) { services { id } } }", new { id = appId }))
            ["application"]!["services"]![0].S("id"));
    }

    [Fact]
    public async Task a_service_as_of_a_time_shows_its_application_as_it_was_then()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("old-app-name");
        var id = await user.AddService(appId, "svc");
        await Tick();
        var t = DateTimeOffset.UtcNow;
        await Tick();
        await user.RenameApplication(appId, "new-app-name");
        await user.RenameService(id, "svc-2");

        var then = await Service(user, id, t);
        Assert.Equal("svc", then.S("name"));
        Assert.Equal("old-app-name", then["application"].S("name"));

        var now = await Service(user, id, null);
        Assert.Equal("svc-2", now.S("name"));
        Assert.Equal("new-app-name", now["application"].S("name"));
    }
}
