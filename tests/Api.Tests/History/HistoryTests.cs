using System.Text;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Xunit;
using static Conpaas.Api.Tests.History.Scenario;

namespace Conpaas.Api.Tests.History;

/// <summary>history(entityId) and auditLog: the event log as users and administrators read it.</summary>
public sealed class HistoryTests(PlayedCloudApp app) : IClassFixture<PlayedCloudApp>
{
    private const string HistoryPageQuery =
        "query($id: ID!, $first: Int, $after: String) { history(entityId: $id, first: $first, after: $after) { events { sequence version type } nextCursor } }";

    private const string AuditPageQuery =
        "query($f: AuditFilter, $first: Int, $after: String) { auditLog(filter: $f, first: $first, after: $after) { events { sequence streamId type } nextCursor } }";

    private static string Name(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task an_applications_history_lists_its_events_oldest_first_with_type_actor_correlation_and_data()
    {
        var user = await app.NewUser();
        var me = await user.MyId();
        var started = DateTimeOffset.UtcNow;
        var appId = await user.CreateApplication("alpha");
        await user.RenameApplication(appId, "beta");
        var serviceId = await user.AddService(appId, "web");

        var events = await user.History(appId);

        Assert.Equal(["ApplicationCreated", "ApplicationRenamed", "ServiceSubnetAllocated"], events.Select(e => e.Type()));
        Assert.Equal([1, 2, 3], events.Select(e => e.Version()));
        Assert.All(events, e => Assert.Equal(appId, e.StreamId()));
        Assert.All(events, e => Assert.Equal(user.Username, e.S("actor")));
        Assert.All(events, e => Assert.False(string.IsNullOrWhiteSpace(e["correlationId"]?.GetValue<string>()), $"no correlationId on {e}"));
        Assert.Equal(3, events.Select(e => e.S("correlationId")).Distinct().Count()); // three requests, three correlations
        for (var i = 1; i < events.Count; i++)
        {
            Assert.True(events[i].Sequence() > events[i - 1].Sequence(), "sequence must increase:\n" + Describe(events));
            Assert.True(events[i].At() >= events[i - 1].At(), "at must not go back:\n" + Describe(events));
        }

        Assert.All(events, e => Assert.InRange(e.At(), started.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1)));

        var created = events[0]["data"]!;
        Assert.Equal("alpha", created.S("name"));
        Assert.Equal(appId, created.S("applicationId"));
        Assert.Equal(me, created.S("ownerId"));
        Assert.Equal("beta", events[1]["data"].S("name"));
        var allocated = events[2]["data"]!;
        Assert.Equal(serviceId, allocated.S("serviceId"));
        Assert.Equal(1, allocated["sid"]!.GetValue<int>());

        // The service has a stream of its own, started by the same request as the allocation.
        var service = await user.History(serviceId);
        Assert.Equal("ServiceAdded", service[0].Type());
        Assert.Equal("web", service[0]["data"].S("name"));
        Assert.Equal(appId, service[0]["data"].S("applicationId"));
        Assert.Equal(events[2].S("correlationId"), service[0].S("correlationId"));
    }

    [Fact]
    public async Task one_request_shares_one_correlation_id_across_streams_and_a_given_one_is_kept()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("corr");
        var correlation = "test-" + Guid.NewGuid().ToString("N");

        var (body, response) = await user.SendWithHeaders(
            "mutation($a: ID!) { addService(applicationId: $a, type: \"helloworld\") { id } }", new { a = appId },
            new Dictionary<string, string> { ["X-Correlation-Id"] = correlation });
        Assert.True(body["errors"] is null, body.ToJsonString());
        Assert.Equal(correlation, response.Headers.GetValues("X-Correlation-Id").Single());
        var serviceId = body["data"]!["addService"].S("id");

        var startCorrelation = "start-" + Guid.NewGuid().ToString("N");
        var (started, _) = await user.SendWithHeaders("mutation($id: ID!) { startService(id: $id) { nodes { id } } }", new { id = serviceId },
            new Dictionary<string, string> { ["X-Correlation-Id"] = startCorrelation });
        Assert.True(started["errors"] is null, started.ToJsonString());
        var vms = started["data"]!["startService"]!["nodes"]!.AsArray().Select(n => n.S("id")).ToList();
        Assert.Equal(2, vms.Count);

        var appEvents = await user.History(appId);
        Assert.Equal(correlation, appEvents.Single(e => e.Type() == "ServiceSubnetAllocated").S("correlationId"));
        var serviceEvents = await user.History(serviceId);
        Assert.Equal(correlation, serviceEvents.Single(e => e.Type() == "ServiceAdded").S("correlationId"));
        Assert.All(serviceEvents.Where(e => e.Type() is "ServiceStartRequested" or "NodesRequested"),
            e => Assert.Equal(startCorrelation, e.S("correlationId")));
        foreach (var vm in vms)
        {
            var requested = Assert.Single(await user.History(vm));
            Assert.Equal("VmRequested", requested.Type());
            Assert.Equal(startCorrelation, requested.S("correlationId"));
            Assert.Equal(user.Username, requested.S("actor"));
        }
    }

    [Fact]
    public async Task paging_with_first_2_walks_the_whole_stream_without_gaps_or_duplicates()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("pages-0");
        for (var i = 1; i <= 6; i++) await user.RenameApplication(appId, $"pages-{i}");

        // 7 events: pages of 2, 2, 2, 1; then one more (8) so the last page is full and still ends the walk.
        foreach (var (total, pages) in new[] { (7, new[] { 2, 2, 2, 1 }), (8, new[] { 2, 2, 2, 2 }) })
        {
            if (total == 8) await user.RenameApplication(appId, "pages-7");
            var all = await user.History(appId);
            Assert.Equal(total, all.Count);

            var walked = new List<JsonObject>();
            var sizes = new List<int>();
            string? after = null;
            do
            {
                var page = (await user.Ok(HistoryPageQuery, new { id = appId, first = 2, after }))["history"]!;
                var events = page["events"]!.AsArray().Select(e => e!.AsObject()).ToList();
                sizes.Add(events.Count);
                walked.AddRange(events);
                after = page["nextCursor"]?.GetValue<string>();
                Assert.True(sizes.Count <= total, "the walk does not end");
            } while (after is not null);

            Assert.Equal(pages, sizes);
            Assert.Equal(Enumerable.Range(1, total), walked.Select(e => e.Version()));
            Assert.Equal(all.Select(e => e.Sequence()), walked.Select(e => e.Sequence()));
        }
    }

    [Fact]
    public async Task paging_the_audit_log_with_first_2_walks_every_event_once()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("audit-pages");
        for (var i = 0; i < 3; i++) await user.RenameApplication(appId, $"audit-pages-{i}");
        await user.AddService(appId, "one");
        var expected = await user.Audit(new { applicationId = appId });
        Assert.Equal(6, expected.Count); // created, 3 renames, subnet allocated, service added

        var walked = new List<long>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = (await user.Ok(AuditPageQuery, new { f = new { applicationId = appId }, first = 2, after }))["auditLog"]!;
            var events = page["events"]!.AsArray();
            Assert.True(events.Count is > 0 and <= 2, $"page {pages} has {events.Count} events");
            walked.AddRange(events.Select(e => e!["sequence"]!.GetValue<long>()));
            after = page["nextCursor"]?.GetValue<string>();
            Assert.True(++pages <= 6, "the walk does not end");
        } while (after is not null);

        Assert.Equal(expected.Select(e => e.Sequence()), walked);
    }

    public static TheoryData<string> BadCursors => new()
    {
        "garbage",
        "!!!",
        "",
        Convert.ToBase64String(Encoding.UTF8.GetBytes("v:-1")),
        Convert.ToBase64String(Encoding.UTF8.GetBytes("v:abc")),
        Convert.ToBase64String(Encoding.UTF8.GetBytes("v:")),
        Convert.ToBase64String(Encoding.UTF8.GetBytes("x:5")),
        Convert.ToBase64String(Encoding.UTF8.GetBytes("v:99999999999999999999999")),
    };

    [Theory]
    [MemberData(nameof(BadCursors))]
    public async Task an_invalid_cursor_is_invalid_input_naming_after(string cursor)
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("cursors");

        var error = await user.Fails("INVALID_INPUT", HistoryPageQuery, new { id = appId, first = 2, after = cursor });
        Assert.Equal("after", error["extensions"]!["field"]?.GetValue<string>());
        error = await user.Fails("INVALID_INPUT", AuditPageQuery, new { f = (object?)null, first = 2, after = cursor });
        Assert.Equal("after", error["extensions"]!["field"]?.GetValue<string>());
    }

    [Fact]
    public async Task a_cursor_of_one_list_is_refused_by_the_other()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("cross-cursor");
        await user.RenameApplication(appId, "cross-cursor-2");
        await user.RenameApplication(appId, "cross-cursor-3");

        var historyCursor = (await user.Ok(HistoryPageQuery, new { id = appId, first = 1, after = (string?)null }))["history"].S("nextCursor");
        var auditCursor = (await user.Ok(AuditPageQuery, new { f = new { applicationId = appId }, first = 1, after = (string?)null }))["auditLog"]
            .S("nextCursor");

        await user.Fails("INVALID_INPUT", HistoryPageQuery, new { id = appId, first = 1, after = auditCursor });
        await user.Fails("INVALID_INPUT", AuditPageQuery, new { f = (object?)null, first = 1, after = historyCursor });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    [InlineData(5000)]
    public async Task a_page_size_outside_1_to_1000_is_invalid_input_naming_first(int first)
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("sizes");

        foreach (var (list, query, variables) in new (string, string, object)[]
                 {
                     ("history", HistoryPageQuery, new { id = appId, first, after = (string?)null }),
                     ("auditLog", AuditPageQuery, new { f = (object?)null, first, after = (string?)null }),
                 })
        {
            var error = await user.Fails("INVALID_INPUT", query, variables);
            Assert.True(error["extensions"]!["field"]?.GetValue<string>() == "first",
                $"{list}(first: {first}) should name the field 'first' (contract: INVALID_INPUT ... extensions.field names it); got {error.ToJsonString()}");
        }
    }

    [Fact]
    public async Task page_sizes_of_1_and_1000_are_accepted()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("sizes-ok");
        foreach (var first in new[] { 1, 1000 })
        {
            await user.Ok(HistoryPageQuery, new { id = appId, first, after = (string?)null });
            await user.Ok(AuditPageQuery, new { f = (object?)null, first, after = (string?)null });
        }
    }

    [Fact]
    public async Task a_full_page_of_1000_events_with_every_field_is_accepted()
    {
        // 1000 is the documented largest page ("'first' must be between 1 and 1000"); a script asking for it with every
        // field of HistoryEvent must not be refused by the query complexity limit.
        var user = await app.NewUser();
        var appId = await user.CreateApplication("big-page");
        var response = await user.Send($"query($id: ID!) {{ history(entityId: $id, first: 1000) {{ events {{ {EventFields} }} nextCursor }} }}",
            new { id = appId });
        Assert.True(response.Errors is null, $"history(first: 1000) with every field: {response.Body.ToJsonString()}");
        response = await user.Send($"{{ auditLog(first: 1000) {{ events {{ {EventFields} }} nextCursor }} }}");
        Assert.True(response.Errors is null, $"auditLog(first: 1000) with every field: {response.Body.ToJsonString()}");
    }

    [Fact]
    public async Task history_of_an_unknown_id_is_not_found_and_a_malformed_one_invalid()
    {
        var user = await app.NewUser();
        var missing = Guid.NewGuid().ToString();
        var error = await user.Fails("NOT_FOUND", HistoryPageQuery, new { id = missing, first = 10, after = (string?)null });
        Assert.Contains(missing, error["message"]!.GetValue<string>());
        error = await user.Fails("INVALID_INPUT", HistoryPageQuery, new { id = "not-a-guid", first = 10, after = (string?)null });
        Assert.Equal("entityId", error["extensions"]!["field"]?.GetValue<string>());
    }

    [Fact]
    public async Task the_users_own_stream_shows_registration_and_sessions_but_never_a_hash()
    {
        var user = await app.NewUser();
        var me = await user.MyId();
        await user.Ok("mutation { changePassword(oldPassword: \"password-" + user.Username + "\", newPassword: \"brand-new-pw\") }");
        var second = await app.Client().SignIn(user.Username!, "brand-new-pw");
        await second.Ok("mutation { logout }");

        const string query = "query($id: ID!) { history(entityId: $id) { events { type actor data } nextCursor } }";
        var response = await user.Send(query, new { id = me });
        Assert.True(response.Errors is null, response.Body.ToJsonString());
        var events = response.Data!["history"]!["events"]!.AsArray();
        Assert.Equal(["UserRegistered", "SessionStarted", "PasswordChanged", "SessionStarted", "SessionEnded"],
            events.Select(e => e.S("type")));
        Assert.All(events, e => Assert.Equal(user.Username, e.S("actor")));
        var registered = events[0]!["data"]!;
        Assert.Equal(user.Username, registered.S("username"));
        Assert.Equal($"{user.Username}@example.org", registered.S("email"));
        Assert.NotNull(events[1]!["data"]!["sessionId"]);

        var tokenHashes = new[] { user.Token!, second.Token! }.Select(Conpaas.Api.Identity.Tokens.HashOf).ToList();
        void NoSecrets(string who, GraphQLResponse response)
        {
            var body = response.Body.ToJsonString();
            Assert.True(response.Errors is null, $"{who}: {body}");
            Assert.NotEmpty(response.Body["data"]!.ToJsonString());
            Assert.DoesNotContain("passwordHash", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("tokenHash", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("argon2", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(user.Token!, body);
            foreach (var hash in tokenHashes) Assert.False(body.Contains(hash, StringComparison.OrdinalIgnoreCase), $"{who} shows a token hash");
        }

        NoSecrets("history (owner)", response);
        const string audit = $"query($u: String) {{ auditLog(filter: {{ username: $u }}, first: 500) {{ events {{ {EventFields} }} }} }}";
        var ownAudit = await user.Send($"{{ auditLog(first: 500) {{ events {{ {EventFields} }} }} }}");
        NoSecrets("auditLog (owner)", ownAudit);
        Assert.Equal(5, ownAudit.Data!["auditLog"]!["events"]!.AsArray().Count);
        var admin = await app.Admin();
        NoSecrets("history (admin)", await admin.Send(query, new { id = me }));
        var adminAudit = await admin.Send(audit, new { u = user.Username });
        NoSecrets("auditLog (admin)", adminAudit);
        Assert.Equal(5, adminAudit.Data!["auditLog"]!["events"]!.AsArray().Count);
    }

    [Fact]
    public async Task a_users_audit_log_holds_exactly_their_own_streams_while_another_user_interleaves()
    {
        var x = await app.NewUser();
        var y = await app.NewUser();
        var xId = await x.MyId();
        var yId = await y.MyId();

        var xApp = await x.CreateApplication("x-app");
        var yApp = await y.CreateApplication("y-app");
        await x.RenameApplication(xApp, "x-app-2");
        await y.RenameApplication(yApp, "y-app-2");
        var xService = await x.AddService(xApp, "x-svc");
        var yService = await y.AddService(yApp, "y-svc");
        var xVms = await x.StartService(xService);
        var yVms = await y.StartService(yService);
        await x.RenameService(xService, "x-svc-2");
        await y.RenameService(yService, "y-svc-2");

        foreach (var (client, streams, others) in new[]
                 {
                     (x, new[] { xId, xApp, xService }.Concat(xVms).ToList(), new[] { yId, yApp, yService }.Concat(yVms).ToList()),
                     (y, new[] { yId, yApp, yService }.Concat(yVms).ToList(), new[] { xId, xApp, xService }.Concat(xVms).ToList()),
                 })
        {
            var audit = await client.Audit();
            var foreign = audit.Where(e => !streams.Contains(e.StreamId())).ToList();
            Assert.True(foreign.Count == 0, $"{client.Username}'s auditLog shows streams that are not theirs:\n{Describe(foreign)}");
            Assert.DoesNotContain(audit, e => others.Contains(e.StreamId()));

            var expected = new List<JsonObject>();
            foreach (var stream in streams) expected.AddRange(await client.History(stream));
            Assert.Equal(expected.Select(e => e.Sequence()).Order(), audit.Select(e => e.Sequence()));
            Assert.All(audit.Where(e => !xVms.Contains(e.StreamId()) && !yVms.Contains(e.StreamId())),
                e => Assert.Equal(client.Username, e.S("actor")));
        }
    }

    [Fact]
    public async Task the_audit_log_filters_by_event_types()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("types");
        await user.RenameApplication(appId, "types-2");
        await user.RenameApplication(appId, "types-3");
        var serviceId = await user.AddService(appId, "svc");

        var renamed = await user.Audit(new { types = new[] { "ApplicationRenamed" } });
        Assert.Equal(2, renamed.Count);
        Assert.All(renamed, e => Assert.Equal("ApplicationRenamed", e.Type()));
        Assert.Equal(["types-2", "types-3"], renamed.Select(e => e["data"].S("name")));

        var two = await user.Audit(new { types = new[] { "ApplicationRenamed", "ServiceAdded" } });
        Assert.Equal(["ApplicationRenamed", "ApplicationRenamed", "ServiceAdded"], two.Select(e => e.Type()));
        Assert.Equal(serviceId, two[2].StreamId());

        var registered = await user.Audit(new { types = new[] { "UserRegistered" } });
        Assert.Equal(user.Username, Assert.Single(registered)["data"].S("username"));

        Assert.Empty(await user.Audit(new { types = new[] { "ServiceRunning" } }));
    }

    [Fact]
    public async Task the_audit_log_filters_by_application_including_its_services_and_vms()
    {
        var user = await app.NewUser();
        var first = await user.CreateApplication("first");
        var second = await user.CreateApplication("second");
        var service = await user.AddService(first, "in-first");
        var vms = await user.StartService(service);
        var other = await user.AddService(second, "in-second");

        var audit = await user.Audit(new { applicationId = first });
        var streams = new HashSet<string>([first, service, .. vms]);
        var foreign = audit.Where(e => !streams.Contains(e.StreamId())).ToList();
        Assert.True(foreign.Count == 0, $"auditLog(applicationId) shows other streams:\n{Describe(foreign)}");
        Assert.Equal(streams.Order(), audit.Select(e => e.StreamId()).Distinct().Order());
        Assert.Contains(audit, e => e.Type() == "ServiceAdded");
        Assert.Contains(audit, e => e.Type() == "VmRequested");
        Assert.DoesNotContain(audit, e => e.StreamId() == second || e.StreamId() == other);

        var secondAudit = await user.Audit(new { applicationId = second });
        Assert.Equal(["ApplicationCreated", "ServiceSubnetAllocated", "ServiceAdded"], secondAudit.Select(e => e.Type()));

        // Another user's application, or none at all, filters everything out.
        Assert.Empty(await user.Audit(new { applicationId = Guid.NewGuid() }));
    }

    [Fact]
    public async Task the_audit_log_filters_by_a_time_range_inclusive_at_both_ends()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("time-0");
        for (var i = 1; i <= 4; i++)
        {
            await Tick();
            await user.RenameApplication(appId, $"time-{i}");
        }

        var all = await user.Audit(new { applicationId = appId });
        Assert.Equal(5, all.Count);
        Assert.Equal(5, all.Select(e => e.At()).Distinct().Count());
        var from = all[1].S("at");
        var to = all[3].S("at");

        var range = await user.Audit(new { applicationId = appId, from, to });
        Assert.True(all.Skip(1).Take(3).Select(e => e.Sequence()).SequenceEqual(range.Select(e => e.Sequence())),
            $"from {from} to {to} should give events 2..4 of\n{Describe(all)}\nbut gave\n{Describe(range)}");

        Assert.Equal(all.Skip(3).Select(e => e.Sequence()), (await user.Audit(new { applicationId = appId, from = to })).Select(e => e.Sequence()));
        Assert.Equal(all.Take(2).Select(e => e.Sequence()), (await user.Audit(new { applicationId = appId, to = from })).Select(e => e.Sequence()));

        // Without the application filter the same range holds the user's own events only, and the same ones.
        var mine = await user.Audit(new { from, to });
        Assert.Equal(range.Select(e => e.Sequence()), mine.Select(e => e.Sequence()));

        // The same instant written with another offset means the same thing.
        var fromOffset = all[1].At().ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture);
        var shifted = await user.Audit(new { applicationId = appId, from = fromOffset, to });
        Assert.Equal(range.Select(e => e.Sequence()), shifted.Select(e => e.Sequence()));

        Assert.Empty(await user.Audit(new { applicationId = appId, from = to, to = from }));
    }

    [Fact]
    public async Task an_administrator_filters_the_audit_log_by_username()
    {
        var x = await app.NewUser();
        var y = await app.NewUser();
        var xId = await x.MyId();
        var xApp = await x.CreateApplication("x-app");
        var yApp = await y.CreateApplication("y-app");
        await x.RenameApplication(xApp, "x-app-2");
        await y.RenameApplication(yApp, "y-app-2");
        var admin = await app.Admin();

        var byX = await admin.Audit(new { username = x.Username });
        var foreign = byX.Where(e => e.StreamId() != xId && e.StreamId() != xApp).ToList();
        Assert.True(foreign.Count == 0, $"auditLog(username: x) shows other streams:\n{Describe(foreign)}");
        Assert.Equal(["UserRegistered", "SessionStarted", "ApplicationCreated", "ApplicationRenamed"], byX.Select(e => e.Type()));

        // Case does not matter for user names; an unknown name matches nothing.
        var upper = await admin.Audit(new { username = x.Username!.ToUpperInvariant() });
        Assert.Equal(byX.Select(e => e.Sequence()), upper.Select(e => e.Sequence()));
        Assert.Empty(await admin.Audit(new { username = "nobody-" + Guid.NewGuid().ToString("N")[..8] }));

        // Combined with another filter.
        var xRenames = await admin.Audit(new { username = x.Username, types = new[] { "ApplicationRenamed" } });
        Assert.Equal(xApp, Assert.Single(xRenames).StreamId());

        // A user filtering by someone else's name only narrows their own log: nothing.
        Assert.Empty(await y.Audit(new { username = x.Username }));
    }

    [Fact]
    public async Task a_deleted_applications_and_a_removed_services_events_stay_readable_by_their_owner()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication(Name("doomed"));
        var removed = await user.AddService(appId, "removed-first");
        var running = await user.AddService(appId, "running");
        var vms = await user.StartService(running);
        await app.MakeReady(vms);

        await user.Ok("mutation($id: ID!) { removeService(id: $id) }", new { id = removed });
        await user.Fails("NOT_FOUND", "query($id: ID!) { service(id: $id) { id } }", new { id = removed });
        var removedHistory = await user.History(removed);
        Assert.Equal(["ServiceAdded", "ServiceRemovalRequested", "ServiceRemoved"], removedHistory.Select(e => e.Type()));

        await user.Ok("mutation($id: ID!) { deleteApplication(id: $id) }", new { id = appId });
        await user.Fails("NOT_FOUND", "query($id: ID!) { application(id: $id) { id } }", new { id = appId });
        Assert.DoesNotContain((await user.Ok("{ applications { id } }"))["applications"]!.AsArray(), a => a.S("id") == appId);

        var appHistory = await user.History(appId);
        Assert.Equal("ApplicationCreated", appHistory[0].Type());
        Assert.Contains(appHistory, e => e.Type() == "ServiceSubnetReleased" && e["data"].S("serviceId") == removed);
        Assert.Equal("ApplicationDeleted", appHistory[^1].Type());

        var runningHistory = await user.History(running);
        Assert.Contains(runningHistory, e => e.Type() == "ServiceRemovalRequested");
        Assert.Contains(runningHistory, e => e.Type() == "ServiceStopRequested");
        foreach (var vm in vms)
            Assert.Contains(await user.History(vm), e => e.Type() == "VmTerminationRequested");

        var audit = await user.Audit(new { applicationId = appId });
        var streams = audit.Select(e => e.StreamId()).ToHashSet();
        Assert.Superset(new HashSet<string>([appId, removed, running, .. vms]), streams);
        Assert.Subset(new HashSet<string>([appId, removed, running, .. vms]), streams);
        Assert.Contains(audit, e => e.Type() == "ApplicationDeleted");
        Assert.Contains(audit, e => e.Type() == "ServiceRemoved");

        // Still nobody else's business.
        var stranger = await app.NewUser();
        await stranger.Fails("NOT_FOUND", HistoryPageQuery, new { id = appId, first = 10, after = (string?)null });
        await stranger.Fails("NOT_FOUND", HistoryPageQuery, new { id = removed, first = 10, after = (string?)null });
        Assert.Empty(await stranger.Audit(new { applicationId = appId }));

        // The administrator reads it too.
        var admin = await app.Admin();
        Assert.Equal(appHistory.Select(e => e.Sequence()), (await admin.History(appId)).Select(e => e.Sequence()));
    }

    [Fact]
    public async Task events_caused_by_a_vm_outcome_have_the_actor_system()
    {
        var user = await app.NewUser();
        var appId = await user.CreateApplication("outcomes");
        var serviceId = await user.AddService(appId, "svc");
        var vms = await user.StartService(serviceId);
        await app.MakeReady(vms);

        var state = (await user.Ok("query($id: ID!) { service(id: $id) { state } }", new { id = serviceId }))["service"].S("state");
        Assert.Equal("RUNNING", state);

        var service = await user.History(serviceId);
        Assert.Equal(["ServiceAdded", "ServiceStartRequested", "NodesRequested", "NodeReady", "NodeReady", "ServiceRunning"],
            service.Select(e => e.Type()));
        Assert.All(service.Take(3), e => Assert.Equal(user.Username, e.S("actor")));
        Assert.All(service.Skip(3), e => Assert.Equal("system", e.S("actor")));
        Assert.Contains(service.Skip(3), e => e.Type() == "NodeReady" && e["data"].S("address") == "127.0.0.1:9000");

        foreach (var vm in vms)
        {
            var events = await user.History(vm);
            Assert.Equal(["VmRequested", "VmReady"], events.Select(e => e.Type()));
            Assert.Equal(user.Username, events[0].S("actor"));
            Assert.Equal("system", events[1].S("actor"));
        }

        // The owner's audit log carries them, attributed to the system.
        var audit = await user.Audit(new { applicationId = appId, types = new[] { "VmReady", "NodeReady", "ServiceRunning" } });
        Assert.Equal(5, audit.Count);
        Assert.All(audit, e => Assert.Equal("system", e.S("actor")));
    }
}
