using System.Text.Json.Nodes;
using Conpaas.Api.Tests.History;
using Conpaas.Api.Tests.Infrastructure;
using Npgsql;
using Xunit;
using static Conpaas.Api.Tests.History.Scenario;

namespace Conpaas.Api.Tests.Authorization;

/// <summary>
/// Who may see and do what. User A owns an application with a running helloworld service (manager and agent VMs)
/// and an idle one; user B tries every operation of the contract on A's ids and must get exactly the answer a
/// missing id gets; anonymous callers get UNAUTHENTICATED; the administrator sees everything.
/// </summary>
public sealed class AuthorizationTests(PlayedCloudApp app) : IClassFixture<PlayedCloudApp>
{
    /// <summary>A's objects.</summary>
    public sealed record World(GraphQLClient Owner, string UserId, string AppId, string ServiceId, string IdleServiceId, IReadOnlyList<string> VmIds);

    /// <summary>One operation taking an id: its document, which of A's ids it targets, and its variables for an id.</summary>
    public sealed record Probe(string Query, Func<World, string> Target, Func<string, object> Vars);

    private static string Now() => Iso(DateTimeOffset.UtcNow.AddSeconds(1));

    private static readonly Dictionary<string, Probe> Probes = new()
    {
        ["application(id)"] = new("query($id: ID!) { application(id: $id) { id name } }", w => w.AppId, id => new { id }),
        ["application(id, asOf)"] = new("query($id: ID!, $t: DateTime) { application(id: $id, asOf: $t) { id name } }",
            w => w.AppId, id => new { id, t = Now() }),
        ["service(id)"] = new("query($id: ID!) { service(id: $id) { id name } }", w => w.ServiceId, id => new { id }),
        ["service(id, asOf)"] = new("query($id: ID!, $t: DateTime) { service(id: $id, asOf: $t) { id name } }",
            w => w.ServiceId, id => new { id, t = Now() }),
        ["vms(applicationId)"] = new("query($id: ID!) { vms(applicationId: $id) { id } }", w => w.AppId, id => new { id }),
        ["vms(applicationId, includeTerminated)"] = new("query($id: ID!) { vms(applicationId: $id, includeTerminated: true) { id } }",
            w => w.AppId, id => new { id }),
        ["history(application)"] = new("query($id: ID!) { history(entityId: $id) { events { type } nextCursor } }", w => w.AppId, id => new { id }),
        ["history(service)"] = new("query($id: ID!) { history(entityId: $id) { events { type } nextCursor } }", w => w.ServiceId, id => new { id }),
        ["history(vm)"] = new("query($id: ID!) { history(entityId: $id) { events { type } nextCursor } }", w => w.VmIds[0], id => new { id }),
        ["history(user)"] = new("query($id: ID!) { history(entityId: $id) { events { type } nextCursor } }", w => w.UserId, id => new { id }),
        ["renameApplication"] = new("mutation($id: ID!) { renameApplication(id: $id, name: \"stolen\") { id name } }", w => w.AppId, id => new { id }),
        ["renameApplication(expectedVersion)"] = new("mutation($id: ID!) { renameApplication(id: $id, name: \"stolen\", expectedVersion: 1) { id } }",
            w => w.AppId, id => new { id }),
        ["deleteApplication"] = new("mutation($id: ID!) { deleteApplication(id: $id) }", w => w.AppId, id => new { id }),
        ["addService"] = new("mutation($id: ID!) { addService(applicationId: $id, type: \"helloworld\", name: \"intruder\") { id } }",
            w => w.AppId, id => new { id }),
        ["addService(idempotencyKey)"] = new("mutation($id: ID!) { addService(applicationId: $id, type: \"helloworld\", idempotencyKey: \"k1\") { id } }",
            w => w.AppId, id => new { id }),
        ["renameService"] = new("mutation($id: ID!) { renameService(id: $id, name: \"stolen\") { id name } }", w => w.ServiceId, id => new { id }),
        ["startService"] = new("mutation($id: ID!) { startService(id: $id) { id state } }", w => w.IdleServiceId, id => new { id }),
        ["stopService"] = new("mutation($id: ID!) { stopService(id: $id) { id state } }", w => w.ServiceId, id => new { id }),
        ["removeService"] = new("mutation($id: ID!) { removeService(id: $id) }", w => w.IdleServiceId, id => new { id }),
        ["removeService(running)"] = new("mutation($id: ID!) { removeService(id: $id) }", w => w.ServiceId, id => new { id }),
        ["addNodes"] = new("mutation($id: ID!) { addNodes(serviceId: $id, nodes: [{ count: 1 }]) { id nodes { id } } }",
            w => w.ServiceId, id => new { id }),
        ["removeNodes"] = new("mutation($id: ID!) { removeNodes(serviceId: $id, nodes: [{ role: \"node\", count: 1 }]) { id } }",
            w => w.ServiceId, id => new { id }),
    };

    public static TheoryData<string> ProbeNames => new(Probes.Keys);

    /// <summary>A with an application, a RUNNING helloworld service (VMs played ready) and an idle one in INIT.</summary>
    private async Task<World> OwnerWorld()
    {
        var owner = await app.NewUser();
        var userId = await owner.MyId();
        var appId = await owner.CreateApplication("a-private");
        var serviceId = await owner.AddService(appId, "a-running");
        var idleId = await owner.AddService(appId, "a-idle");
        var vms = await owner.StartService(serviceId);
        await app.MakeReady(vms);
        // One more agent (so removeNodes has something it could remove), ready too.
        var scaled = (await owner.Ok("mutation($id: ID!) { addNodes(serviceId: $id, nodes: [{ count: 1 }]) { nodes { id } } }", new { id = serviceId }))
            ["addNodes"]!["nodes"]!.AsArray().Select(n => n.S("id")).Except(vms).ToList();
        Assert.Single(scaled);
        await app.MakeReady(scaled);
        var state = (await owner.Ok("query($id: ID!) { service(id: $id) { state } }", new { id = serviceId }))["service"].S("state");
        Assert.Equal("RUNNING", state);
        return new World(owner, userId, appId, serviceId, idleId, [.. vms, .. scaled]);
    }

    /// <summary>Everything about A's objects that any change would move, read as A.</summary>
    private static async Task<string> Snapshot(World w)
    {
        var data = await w.Owner.Ok("""
            query($app: ID!, $s: ID!, $idle: ID!, $user: ID!) {
              application(id: $app) { name version services { id name state version nodeCounts { role count } } vms { id state } }
              running: service(id: $s) { name state version nodes { id state } }
              idle: service(id: $idle) { name state version }
              log: auditLog(filter: { applicationId: $app }, first: 500) { events { sequence streamId type } nextCursor }
              user: history(entityId: $user, first: 500) { events { sequence type } nextCursor }
            }
            """, new { app = w.AppId, s = w.ServiceId, idle = w.IdleServiceId, user = w.UserId });
        return data.ToJsonString();
    }

    private static string? Code(GraphQLResponse response) => response.Errors?[0]?["extensions"]?["code"]?.GetValue<string>();

    private static string Normalized(GraphQLResponse response, string id) =>
        response.Body.ToJsonString().Replace(id, "<id>", StringComparison.OrdinalIgnoreCase);

    [Theory]
    [MemberData(nameof(ProbeNames))]
    public async Task another_users_object_is_not_found_exactly_like_a_missing_one_and_stays_unchanged(string operation)
    {
        var probe = Probes[operation];
        var a = await OwnerWorld();
        var before = await Snapshot(a);
        var b = await app.NewUser();
        var target = probe.Target(a);
        var missing = Guid.NewGuid().ToString();

        var theirs = await b.Send(probe.Query, probe.Vars(target));
        var none = await b.Send(probe.Query, probe.Vars(missing));

        Assert.True(Code(theirs) == "NOT_FOUND", $"{operation} by B on A's id should be NOT_FOUND, got {theirs.Body.ToJsonString()}");
        Assert.True(Code(none) == "NOT_FOUND", $"{operation} on a missing id should be NOT_FOUND, got {none.Body.ToJsonString()}");
        Assert.True(theirs.Errors!.Count == 1, $"{operation}: one error expected, got {theirs.Body.ToJsonString()}");
        Assert.True(Normalized(theirs, target) == Normalized(none, missing),
            $"{operation}: A's id must get exactly the answer of a missing id (ids replaced by <id>)\n" +
            $"  A's id:     {Normalized(theirs, target)}\n  missing id: {Normalized(none, missing)}");

        var after = await Snapshot(a);
        Assert.True(before == after, $"{operation} by B changed A's objects\n  before: {before}\n  after:  {after}");
    }

    [Fact]
    public async Task the_probe_table_covers_every_contract_operation_that_takes_an_id()
    {
        // Any operation taking an application, service, VM or user id must be in the table above.
        string[] expected =
        [
            "application", "service", "vms", "history", "renameApplication", "deleteApplication", "addService", "renameService",
            "startService", "stopService", "removeService", "addNodes", "removeNodes",
        ];
        var covered = Probes.Keys.Select(k => k.Split('(')[0]).ToHashSet();
        Assert.Empty(expected.Except(covered));

        // Each probe succeeds for A on A's own objects (so a NOT_FOUND for B is a refusal, not a broken probe),
        // except the ones that need a state A's objects are not in.
        var a = await OwnerWorld();
        foreach (var (name, probe) in Probes.Where(p => p.Key is not ("deleteApplication" or "removeService(running)" or "stopService"
                     or "removeNodes" or "renameApplication(expectedVersion)" or "startService" or "removeService")))
        {
            var response = await a.Owner.Send(probe.Query, probe.Vars(probe.Target(a)));
            Assert.True(response.Errors is null, $"{name} by the owner: {response.Body.ToJsonString()}");
        }
    }

    [Fact]
    public async Task another_users_lists_never_show_the_owners_objects()
    {
        var a = await OwnerWorld();
        var b = await app.NewUser();
        var bApp = await b.CreateApplication("b-own");
        var bService = await b.AddService(bApp, "b-svc");
        var bVms = await b.StartService(bService);

        // Names are per owner: B may take A's application name, and learns nothing about A from it.
        var sameName = await b.CreateApplication("a-private");
        await b.RenameApplication(sameName, "a-private-2");
        await b.RenameApplication(sameName, "a-private");

        var apps = (await b.Ok("{ applications { id } }"))["applications"]!.AsArray().Select(x => x.S("id")).ToList();
        Assert.Equal([bApp, sameName], apps);

        foreach (var query in new[] { "{ vms { id } }", "{ vms(includeTerminated: true) { id } }" })
        {
            var vms = (await b.Ok(query))["vms"]!.AsArray().Select(x => x.S("id")).ToList();
            Assert.True(vms.Order().SequenceEqual(bVms.Order()), $"{query} as B: {string.Join(", ", vms)}; B's own: {string.Join(", ", bVms)}");
        }

        var aStreams = new HashSet<string>([a.UserId, a.AppId, a.ServiceId, a.IdleServiceId, .. a.VmIds]);
        var audit = await b.Audit();
        Assert.NotEmpty(audit);
        var leaked = audit.Where(e => aStreams.Contains(e.StreamId())).ToList();
        Assert.True(leaked.Count == 0, "auditLog as B shows A's events:\n" + Describe(leaked));
        Assert.Empty(await b.Audit(new { applicationId = a.AppId }));
        Assert.Empty(await b.Audit(new { username = a.Owner.Username }));
        Assert.Empty(await b.Audit(new { username = a.Owner.Username, applicationId = a.AppId }));
        Assert.Empty(await b.Audit(new { types = new[] { "ApplicationCreated" }, applicationId = a.AppId }));
    }

    /// <summary>Every signed-in operation of the contract, with arguments that pass validation (ids filled in from A's world).</summary>
    private static readonly Dictionary<string, (string Field, string Query, Func<World, object?> Vars)> SignedIn = new()
    {
        ["applications"] = ("applications", "{ applications { id } }", _ => null),
        ["application"] = ("application", "query($id: ID!) { application(id: $id) { id } }", w => new { id = w.AppId }),
        ["application(asOf)"] = ("application", "query($id: ID!, $t: DateTime) { application(id: $id, asOf: $t) { id } }", w => new { id = w.AppId, t = Now() }),
        ["service"] = ("service", "query($id: ID!) { service(id: $id) { id } }", w => new { id = w.ServiceId }),
        ["service(asOf)"] = ("service", "query($id: ID!, $t: DateTime) { service(id: $id, asOf: $t) { id } }", w => new { id = w.ServiceId, t = Now() }),
        ["vms"] = ("vms", "{ vms { id } }", _ => null),
        ["vms(applicationId)"] = ("vms", "query($id: ID!) { vms(applicationId: $id) { id } }", w => new { id = w.AppId }),
        ["vms(all)"] = ("vms", "{ vms(all: true) { id } }", _ => null),
        ["creditLedger"] = ("creditLedger", "{ creditLedger { amount } }", _ => null),
        ["history"] = ("history", "query($id: ID!) { history(entityId: $id) { nextCursor } }", w => new { id = w.AppId }),
        ["history(user)"] = ("history", "query($id: ID!) { history(entityId: $id) { nextCursor } }", w => new { id = w.UserId }),
        ["auditLog"] = ("auditLog", "{ auditLog { nextCursor } }", _ => null),
        ["users"] = ("users", "{ users { id } }", _ => null),
        ["logout"] = ("logout", "mutation { logout }", _ => null),
        ["changePassword"] = ("changePassword", "mutation { changePassword(oldPassword: \"old-password\", newPassword: \"new-password\") }", _ => null),
        ["setPassword"] = ("setPassword", "mutation { setPassword(newPassword: \"new-password\") }", _ => null),
        ["createApplication"] = ("createApplication", "mutation { createApplication(name: \"anonymous-app\") { id } }", _ => null),
        ["renameApplication"] = ("renameApplication", "mutation($id: ID!) { renameApplication(id: $id, name: \"x\") { id } }", w => new { id = w.AppId }),
        ["deleteApplication"] = ("deleteApplication", "mutation($id: ID!) { deleteApplication(id: $id) }", w => new { id = w.AppId }),
        ["addService"] = ("addService", "mutation($id: ID!) { addService(applicationId: $id, type: \"helloworld\") { id } }", w => new { id = w.AppId }),
        ["renameService"] = ("renameService", "mutation($id: ID!) { renameService(id: $id, name: \"x\") { id } }", w => new { id = w.ServiceId }),
        ["startService"] = ("startService", "mutation($id: ID!) { startService(id: $id) { id } }", w => new { id = w.IdleServiceId }),
        ["stopService"] = ("stopService", "mutation($id: ID!) { stopService(id: $id) { id } }", w => new { id = w.ServiceId }),
        ["removeService"] = ("removeService", "mutation($id: ID!) { removeService(id: $id) }", w => new { id = w.IdleServiceId }),
        ["addNodes"] = ("addNodes", "mutation($id: ID!) { addNodes(serviceId: $id, nodes: [{ count: 1 }]) { id } }", w => new { id = w.ServiceId }),
        ["removeNodes"] = ("removeNodes", "mutation($id: ID!) { removeNodes(serviceId: $id, nodes: [{ count: 1 }]) { id } }", w => new { id = w.ServiceId }),
        ["issueCertificate"] = ("issueCertificate",
            "mutation { issueCertificate(csrPem: \"-----BEGIN CERTIFICATE REQUEST-----\\nAA==\\n-----END CERTIFICATE REQUEST-----\") { serial } }", _ => null),
        ["revokeCertificate"] = ("revokeCertificate", "mutation { revokeCertificate(serial: \"01\") }", _ => null),
        ["createUser"] = ("createUser",
            "mutation { createUser(input: { username: \"anon-made\", email: \"anon-made@example.org\", password: \"good-password\" }) { id } }", _ => null),
        ["grantCredit"] = ("grantCredit", "mutation { grantCredit(username: \"admin\", amount: 5, reason: \"free money\") { credit } }", _ => null),
    };

    public static TheoryData<string> SignedInNames => new(SignedIn.Keys);

    private async Task<HashSet<string>> ServedOperations()
    {
        var schema = (await app.Client().Ok("{ __schema { queryType { fields { name } } mutationType { fields { name } } } }"))["__schema"]!;
        return schema["queryType"]!["fields"]!.AsArray().Concat(schema["mutationType"]!["fields"]!.AsArray()).Select(f => f.S("name")).ToHashSet();
    }

    private async Task<long> EventsByAnonymous()
    {
        await using var conn = new NpgsqlConnection(app.ConnectionString);
        await conn.OpenAsync(Ct);
        await using var cmd = new NpgsqlCommand("select count(*) from conpaas.mt_events where user_name = 'anonymous' or user_name is null", conn);
        return (long)(await cmd.ExecuteScalarAsync(Ct))!;
    }

    [Theory]
    [MemberData(nameof(SignedInNames))]
    public async Task without_valid_credentials_every_signed_in_operation_is_unauthenticated_and_changes_nothing(string operation)
    {
        var (field, query, vars) = SignedIn[operation];
        if (!(await ServedOperations()).Contains(field)) Assert.Skip($"{field} is in the contract but not served yet");

        var a = await OwnerWorld();
        var before = await Snapshot(a);
        var anonymousBefore = await EventsByAnonymous();

        foreach (var (who, client) in new[]
                 {
                     ("anonymous", app.Client()),
                     ("a made-up token", app.Client("cps_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"))),
                     ("a malformed token", app.Client("not-a-token")),
                 })
        {
            var response = await client.Send(query, vars(a));
            Assert.True(Code(response) == "UNAUTHENTICATED", $"{operation} with {who} should be UNAUTHENTICATED, got {response.Body.ToJsonString()}");
        }

        var revoked = await app.NewUser();
        var token = revoked.Token;
        await revoked.Ok("mutation { logout }");
        var afterLogout = await app.Client(token).Send(query, vars(a));
        Assert.True(Code(afterLogout) == "UNAUTHENTICATED", $"{operation} with a revoked token should be UNAUTHENTICATED, got {afterLogout.Body.ToJsonString()}");

        var after = await Snapshot(a);
        Assert.True(before == after, $"{operation} without credentials changed A's objects\n  before: {before}\n  after:  {after}");
        Assert.Equal(anonymousBefore, await EventsByAnonymous());
    }

    [Fact]
    public async Task the_administrator_reads_the_owners_application_service_vms_and_history()
    {
        var a = await OwnerWorld();
        var admin = await app.Admin();

        var application = (await admin.Ok("query($id: ID!) { application(id: $id) { name owner { username } services { id } vms { id } } }", new { id = a.AppId }))
            ["application"]!;
        Assert.Equal("a-private", application.S("name"));
        Assert.Equal(a.Owner.Username, application["owner"].S("username"));
        Assert.Equal(new[] { a.ServiceId, a.IdleServiceId }.Order(), application["services"]!.AsArray().Select(s => s.S("id")).Order());
        Assert.Equal(a.VmIds.Order(), application["vms"]!.AsArray().Select(v => v.S("id")).Order());

        var then = (await admin.Ok("query($id: ID!, $t: DateTime) { application(id: $id, asOf: $t) { name } }", new { id = a.AppId, t = Now() }))["application"]!;
        Assert.Equal("a-private", then.S("name"));
        var service = (await admin.Ok("query($id: ID!) { service(id: $id) { name state nodes { id } } }", new { id = a.ServiceId }))["service"]!;
        Assert.Equal("RUNNING", service.S("state"));
        Assert.Equal(a.VmIds.Order(), service["nodes"]!.AsArray().Select(v => v.S("id")).Order());
        var serviceThen = (await admin.Ok("query($id: ID!, $t: DateTime) { service(id: $id, asOf: $t) { name } }", new { id = a.ServiceId, t = Now() }))["service"]!;
        Assert.Equal("a-running", serviceThen.S("name"));

        foreach (var stream in new[] { a.AppId, a.ServiceId, a.VmIds[0], a.UserId })
        {
            var mine = await a.Owner.History(stream);
            var theirs = await admin.History(stream);
            Assert.NotEmpty(theirs);
            Assert.Equal(mine.Select(e => e.ToJsonString()), theirs.Select(e => e.ToJsonString()));
        }

        var ownerAudit = await a.Owner.Audit(new { applicationId = a.AppId });
        var adminAudit = await admin.Audit(new { applicationId = a.AppId });
        Assert.Equal(ownerAudit.Select(e => e.Sequence()), adminAudit.Select(e => e.Sequence()));
        var everything = (await admin.Audit()).Select(e => e.Sequence()).ToHashSet();
        Assert.All(ownerAudit, e => Assert.Contains(e.Sequence(), everything));
        var ownUserStream = await a.Owner.History(a.UserId);
        Assert.All(ownUserStream, e => Assert.Contains(e.Sequence(), everything));
        var byName = await admin.Audit(new { username = a.Owner.Username });
        Assert.Equal((await a.Owner.Audit()).Select(e => e.Sequence()), byName.Select(e => e.Sequence()));

        var all = (await admin.Ok("{ vms(all: true) { id } }"))["vms"]!.AsArray().Select(v => v.S("id")).ToHashSet();
        Assert.Subset(all, a.VmIds.ToHashSet());
        var ofApp = (await admin.Ok("query($id: ID!) { vms(applicationId: $id, all: true) { id } }", new { id = a.AppId }))["vms"]!
            .AsArray().Select(v => v.S("id")).Order();
        Assert.Equal(a.VmIds.Order(), ofApp);
    }

    public static TheoryData<string, string> AdminOnly => new()
    {
        { "users", "{ users { id } }" },
        { "createUser", "mutation { createUser(input: { username: \"made-by-user\", email: \"made-by-user@example.org\", password: \"good-password\" }) { id } }" },
        { "createUser(ADMIN)", "mutation { createUser(input: { username: \"made-admin\", email: \"made-admin@example.org\", password: \"good-password\" }, role: ADMIN) { id } }" },
        { "vms(all: true)", "{ vms(all: true) { id } }" },
        { "grantCredit", "mutation { grantCredit(username: \"admin\", amount: 5, reason: \"free money\") { credit } }" },
    };

    [Theory]
    [MemberData(nameof(AdminOnly))]
    public async Task administrator_only_operations_are_forbidden_to_the_owner_and_to_another_user(string operation, string query)
    {
        if (!(await ServedOperations()).Contains(operation.Split('(')[0])) Assert.Skip($"{operation} is in the contract but not served yet");
        var a = await OwnerWorld();
        var b = await app.NewUser();
        foreach (var (who, client) in new[] { ("A", a.Owner), ("B", b) })
        {
            var response = await client.Send(query);
            Assert.True(Code(response) == "FORBIDDEN", $"{operation} by {who} should be FORBIDDEN, got {response.Body.ToJsonString()}");
        }

        var admin = await app.Admin();
        var users = (await admin.Ok("{ users { username } }"))["users"]!.AsArray().Select(u => u.S("username")).ToList();
        Assert.DoesNotContain("made-by-user", users);
        Assert.DoesNotContain("made-admin", users);
    }
}
