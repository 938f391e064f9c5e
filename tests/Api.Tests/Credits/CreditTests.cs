using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.Api.Tests.Subscriptions;
using Conpaas.CloudAgents.Credits;
using Conpaas.CloudAgents.Outcomes;
using Conpaas.Domain.Users;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Credits;

/// <summary>The VM-hour ledger (architecture §5), with the cloud played by the test and a clock it moves.</summary>
public sealed class CreditTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<ChargeRound> ChargingRound() => app.Services.GetRequiredService<Charger>().RunOnce(Ct);

    /// <summary>A started helloworld service whose manager and agent the cloud has created now.</summary>
    private async Task<(GraphQLClient User, string Service, List<string> Vms)> RunningService(int credit)
    {
        var user = await app.NewUser(credit: credit);
        var appId = (await user.Ok("mutation { createApplication(name: \"a\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        var service = (await user.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"helloworld\") { id } }", new { a = appId }))["addService"]!["id"]!.GetValue<string>();
        var nodes = (await user.Ok("mutation($s: ID!) { startService(id: $s) { nodes { id } } }", new { s = service }))["startService"]!["nodes"]!.AsArray();
        var vms = nodes.Select(n => n!["id"]!.GetValue<string>()).ToList();
        var recorder = app.Services.GetRequiredService<VmOutcomeRecorder>();
        foreach (var vm in vms)
        {
            await recorder.Record(new VmOutcome.Created(Guid.Parse(vm), "p-" + vm, "127.0.0.1:1"), Ct);
            await recorder.Record(new VmOutcome.Ready(Guid.Parse(vm), "127.0.0.1:1"), Ct);
        }

        return (user, service, vms);
    }

    private static async Task<int> Credit(GraphQLClient user) => (await user.Ok("{ me { credit } }"))["me"]!["credit"]!.GetValue<int>();

    [Fact]
    public async Task each_vm_costs_one_credit_at_creation_and_one_more_at_each_full_hour()
    {
        var (user, _, vms) = await RunningService(credit: 10);
        await ChargingRound();
        Assert.Equal(8, await Credit(user));

        await ChargingRound(); // a second round in the same hour charges nothing
        Assert.Equal(8, await Credit(user));

        app.Clock.Advance(TimeSpan.FromMinutes(59));
        await ChargingRound();
        Assert.Equal(8, await Credit(user));

        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await ChargingRound();
        Assert.Equal(6, await Credit(user));

        var charged = (await user.Ok("{ vms { chargedHours } }"))["vms"]!.AsArray().Select(v => v!["chargedHours"]!.GetValue<int>());
        Assert.All(charged, h => Assert.Equal(2, h));
        Assert.Equal(2, vms.Count);
    }

    [Fact]
    public async Task a_charge_that_cannot_be_covered_takes_the_balance_to_zero_and_stops_the_services()
    {
        var (user, service, _) = await RunningService(credit: 1);
        var round = await ChargingRound();
        Assert.Equal(0, await Credit(user));
        Assert.True(round.ServicesStopped >= 1, "this user's service is among the stopped ones");

        var stopped = (await user.Ok("query($s: ID!) { service(id: $s) { state stateReason } }", new { s = service }))["service"]!;
        Assert.Equal("EPILOGUE", stopped["state"]!.GetValue<string>());
        Assert.Contains("credit exhausted", stopped["stateReason"]!.GetValue<string>());

        var ledger = (await user.Ok("{ creditLedger { amount balance reason vm { name } } }"))["creditLedger"]!.AsArray();
        Assert.Equal([1, -1, 0], ledger.Select(e => e!["amount"]!.GetValue<int>()));
        Assert.All(ledger, e => Assert.True(e!["balance"]!.GetValue<int>() >= 0));
        Assert.Contains("not covered", ledger[2]!["reason"]!.GetValue<string>());
        // chargedHours is what the ledger shows: the hour that was not covered was not paid.
        var hours = (await user.Ok("{ vms(includeTerminated: true) { chargedHours } }"))["vms"]!.AsArray().Select(v => v!["chargedHours"]!.GetValue<int>());
        Assert.Equal([0, 1], hours.Order());
    }

    [Fact]
    public async Task an_administrator_taking_credit_away_stops_the_users_services_in_the_next_round()
    {
        var (user, service, _) = await RunningService(credit: 20);
        await ChargingRound();
        var admin = await app.Admin();
        var after = (await admin.Ok("mutation($u: String!) { grantCredit(username: $u, amount: -100, reason: \"abuse\") { credit } }",
            new { u = user.Username }))["grantCredit"]!;
        Assert.Equal(0, after["credit"]!.GetValue<int>());

        await ChargingRound();
        var state = (await user.Ok("query($s: ID!) { service(id: $s) { state stateReason } }", new { s = service }))["service"]!;
        Assert.Equal("EPILOGUE", state["state"]!.GetValue<string>());

        var grant = (await user.Ok("{ creditLedger { amount balance reason actor } }"))["creditLedger"]!.AsArray()
            .Single(e => e!["reason"]!.GetValue<string>() == "abuse")!;
        Assert.Equal(-18, grant["amount"]!.GetValue<int>());
        Assert.Equal(0, grant["balance"]!.GetValue<int>());
        Assert.Equal("admin", grant["actor"]!.GetValue<string>());
    }

    [Fact]
    public async Task credit_zero_refuses_to_start_or_add_nodes_and_requests_no_vm()
    {
        var (user, service, _) = await RunningService(credit: 2);
        var admin = await app.Admin();
        await admin.Ok("mutation($u: String!) { grantCredit(username: $u, amount: -2, reason: \"test\") { credit } }", new { u = user.Username });
        var error = await user.Fails("INSUFFICIENT_CREDIT", "mutation($s: ID!) { addNodes(serviceId: $s, nodes: [{count: 1}]) { id } }", new { s = service });
        Assert.Equal("Insufficient credits", error["message"]!.GetValue<string>());
        Assert.Equal(2, (await user.Ok("{ vms(includeTerminated: true) { id } }"))["vms"]!.AsArray().Count);
    }

    [Fact]
    public async Task grantCredit_is_for_administrators_and_names_unknown_users()
    {
        var user = await app.NewUser();
        await user.Fails("FORBIDDEN", "mutation { grantCredit(username: \"admin\", amount: 5, reason: \"x\") { credit } }");
        var admin = await app.Admin();
        var unknown = await admin.Fails("NOT_FOUND", "mutation { grantCredit(username: \"nobody-at-all\", amount: 5, reason: \"x\") { credit } }");
        Assert.Equal("Unknown user 'nobody-at-all'", unknown["message"]!.GetValue<string>());
        await admin.Fails("INVALID_INPUT", "mutation($u: String!) { grantCredit(username: $u, amount: 5, reason: \"\") { credit } }", new { u = user.Username });
        await admin.Fails("INVALID_INPUT", "mutation($u: String!) { grantCredit(username: $u, amount: 0, reason: \"x\") { credit } }", new { u = user.Username });
        var granted = (await admin.Ok("mutation($u: String!) { grantCredit(username: $u, amount: 7, reason: \"welcome\") { credit } }",
            new { u = user.Username }))["grantCredit"]!;
        Assert.Equal(57, granted["credit"]!.GetValue<int>());
    }

    [Fact]
    public async Task the_ledger_pages_with_cursors_and_says_when_credit_runs_out()
    {
        var (user, _, _) = await RunningService(credit: 6);
        Assert.NotNull((await user.Ok("{ me { creditRunsOutAt } }"))["me"]!["creditRunsOutAt"]);
        await ChargingRound();
        // 4 left, 2 VMs charging every hour: the 4th charge from now is the second hour's.
        var runsOut = DateTimeOffset.Parse((await user.Ok("{ me { creditRunsOutAt } }"))["me"]!["creditRunsOutAt"]!.GetValue<string>());
        var expected = app.Clock.GetUtcNow().AddHours(2);
        Assert.InRange(runsOut, expected.AddMinutes(-2), expected.AddMinutes(1));

        var first = (await user.Ok("{ creditLedger(first: 2) { amount cursor } }"))["creditLedger"]!.AsArray();
        Assert.Equal(2, first.Count);
        var rest = (await user.Ok("query($a: String) { creditLedger(first: 10, after: $a) { amount } }",
            new { a = first[1]!["cursor"]!.GetValue<string>() }))["creditLedger"]!.AsArray();
        Assert.Single(rest);
        Assert.Equal([6, -1, -1], first.Concat(rest).Select(e => e!["amount"]!.GetValue<int>()));
    }

    [Fact]
    public async Task replaying_the_whole_log_gives_every_balance_back_exactly()
    {
        var (user, _, _) = await RunningService(credit: 9);
        await ChargingRound();
        app.Clock.Advance(TimeSpan.FromHours(2));
        await ChargingRound();
        var admin = await app.Admin();
        await admin.Ok("mutation($u: String!) { grantCredit(username: $u, amount: 3, reason: \"bonus\") { credit } }", new { u = user.Username });

        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var users = await session.Query<User>().ToListAsync(Ct);
        foreach (var stored in users)
        {
            var replayed = await session.Events.AggregateStreamAsync<User>(stored.Id, token: Ct);
            Assert.Equal(stored.Credit, replayed!.Credit);
        }

        Assert.Equal(9 - 2 - 4 + 3, await Credit(user));
    }
}

/// <summary>Two Director nodes charging the same VMs at the same time never charge an hour twice.</summary>
public sealed class TwoNodeChargingTests(TwoNodes nodes) : IClassFixture<TwoNodes>
{
    [Fact]
    public async Task two_nodes_charging_at_once_never_charge_twice()
    {
        var ct = TestContext.Current.CancellationToken;
        var user = await nodes.First.NewUser(credit: 50);
        var appId = (await user.Ok("mutation { createApplication(name: \"a\") { id } }"))["createApplication"]!["id"]!.GetValue<string>();
        var service = (await user.Ok("mutation($a: ID!) { addService(applicationId: $a, type: \"php\") { id } }", new { a = appId }))["addService"]!["id"]!.GetValue<string>();
        var vms = (await user.Ok("mutation($s: ID!) { startService(id: $s) { nodes { id } } }", new { s = service }))["startService"]!["nodes"]!.AsArray()
            .Select(n => Guid.Parse(n!["id"]!.GetValue<string>())).ToList();
        var recorder = nodes.First.Services.GetRequiredService<VmOutcomeRecorder>();
        foreach (var vm in vms) await recorder.Record(new VmOutcome.Created(vm, "p", "127.0.0.1:1"), ct);

        var first = nodes.First.Services.GetRequiredService<Charger>();
        var second = nodes.Second.Services.GetRequiredService<Charger>();
        for (var hour = 0; hour < 3; hour++)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(i => (i % 2 == 0 ? first : second).RunOnce(ct)));
            nodes.First.Clock.Advance(TimeSpan.FromHours(1));
            nodes.Second.Clock.Advance(TimeSpan.FromHours(1));
        }

        // 2 VMs (manager + 1 backend), hours 0, 1 and 2 each: 6 credits, each (VM, hour) exactly once.
        Assert.Equal(44, (await user.Ok("{ me { credit } }"))["me"]!["credit"]!.GetValue<int>());
        var charges = (await user.Ok("{ creditLedger(first: 100) { amount vm { id } reason } }"))["creditLedger"]!.AsArray()
            .Where(e => e!["amount"]!.GetValue<int>() < 0).Select(e => e!["reason"]!.GetValue<string>()).ToList();
        Assert.Equal(6, charges.Count);
        Assert.Equal(charges.Count, charges.Distinct().Count());
    }
}
