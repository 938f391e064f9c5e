using System.Net;
using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Outcomes;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Services;

/// <summary>The VPN address plan of the installation guide, seen through the API.</summary>
internal static class Vpn
{
    private static uint Parse(string address) =>
        BitConverter.ToUInt32(IPAddress.Parse(address).GetAddressBytes().Reverse().ToArray());

    public static bool Contains(string cidr, string address)
    {
        var parts = cidr.Split('/');
        var prefix = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return (Parse(address) & mask) == Parse(parts[0]);
    }

    public static bool IsNetworkAddress(string cidr, string address) => Parse(cidr.Split('/')[0]) == Parse(address);

    /// <summary>Every VM that holds an address holds its own, inside its service's subnet, never the subnet's network address.</summary>
    public static void AssertUniqueAddressesInSubnet(JsonNode service)
    {
        var subnet = service.Str("subnet");
        var addresses = service.LiveNodes().Select(n => n.Str("vpnAddress")).ToList();
        Assert.Equal(addresses.Count, addresses.Distinct().Count());
        Assert.All(addresses, a =>
        {
            Assert.True(Contains(subnet, a), $"{a} is outside {subnet}");
            Assert.False(IsNetworkAddress(subnet, a), $"{a} is the network address of {subnet}");
        });
    }

    /// <summary>Runs the attempts together and returns what each ended with (null: recorded).</summary>
    public static async Task<Exception?[]> InParallel(IEnumerable<Func<Task>> attempts) =>
        await Task.WhenAll(attempts.Select(async attempt =>
        {
            try
            {
                await attempt();
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }));
}

/// <summary>The guide's example plan (172.16.0.0/12, 5 service bits): 32 services of /17 per application.</summary>
public sealed class VpnConcurrencyTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<ServiceScenario> User() => ServiceScenario.ForNewUser(app);

    private static string SubnetOf(int index) => $"172.{16 + index / 2}.{index % 2 * 128}.0/17";

    [Fact]
    public async Task the_33rd_service_is_refused_with_vpn_exhausted_and_nothing_is_stored()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var ids = new List<string>();
        for (var i = 0; i < 32; i++)
        {
            var added = await user.AddService(appId, "helloworld", $"s{i + 1}");
            Assert.Equal((i + 1, SubnetOf(i)), (added.Int("sid"), added.Str("subnet")));
            ids.Add(added.Str("id"));
        }

        var error = await user.Client.Fails("VPN_EXHAUSTED", Ops.AddService, new { app = appId, type = "php", name = (string?)null, key = (string?)null });
        Assert.Equal("VPN address space exhausted: application network 172.16.0.0/12 holds 32 service subnets and all are in use", error.Message());
        Assert.Equal(33, await user.StreamVersion(appId));
        await using (var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession())
            Assert.Equal(32, await session.Query<Service>().CountAsync(s => s.ApplicationId == Guid.Parse(appId), Ct));
        Assert.Equal(32, (await user.Application(appId)).Items("services").Count);

        // Another application has a network of its own.
        Assert.Equal("172.16.0.0/17", (await user.AddService(await user.NewApplicationId())).Str("subnet"));

        // A removed service frees its subnet, the lowest free one is handed out next; sids keep growing.
        await user.Client.Ok(Ops.RemoveService, new { id = ids[4] });
        await user.Client.Ok(Ops.RemoveService, new { id = ids[9] });
        var next = await user.AddService(appId);
        Assert.Equal((33, SubnetOf(4)), (next.Int("sid"), next.Str("subnet")));
        Assert.Equal(SubnetOf(9), (await user.AddService(appId)).Str("subnet"));
        await user.Client.Fails("VPN_EXHAUSTED", Ops.AddService, new { app = appId, type = "php", name = (string?)null, key = (string?)null });
    }

    [Fact]
    public async Task fifty_parallel_add_nodes_on_a_running_service_let_one_win_and_share_no_address()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            user.Client.Send(Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null })));

        Assert.Single(responses, r => r.Errors is null);
        Assert.All(responses.Where(r => r.Errors is not null), r =>
        {
            var error = r.Errors![0]!.AsObject();
            Assert.Equal("CONFLICT", error.Code());
            Assert.True(error.Message() is "Wrong service state: was expecting one of [RUNNING] but current state is 'ADAPTING'"
                    or "The object was changed at the same time by another request; try again",
                error.Message());
        });

        var after = await user.Service(id);
        Assert.Equal("ADAPTING", after.Str("state"));
        Assert.Equal(2, after.Desired("node"));
        Assert.Equal(2, after.LiveAgents().Count);
        Assert.Equal(3, await user.VmCount(id));
        Vpn.AssertUniqueAddressesInSubnet(after);
    }

    [Fact]
    public async Task rounds_of_parallel_scaling_hand_out_each_address_once()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var expected = 1;

        for (var round = 0; round < 6; round++)
        {
            var count = round % 3 + 1;
            var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
                user.Client.Send(Ops.AddNodes, new { id, nodes = Ops.Nodes(count), v = (int?)null })));
            Assert.Single(responses, r => r.Errors is null);
            expected += count;

            var booted = await user.BootAll(id);
            Assert.Equal("RUNNING", booted.Str("state"));
            Assert.Equal(expected, booted.LiveAgents().Count);
            Vpn.AssertUniqueAddressesInSubnet(booted);
        }

        // Every address from .1 (the manager) upwards, with no gap.
        var all = (await user.Service(id)).LiveNodes().Select(n => n.Str("vpnAddress")).Order().ToList();
        Assert.Equal(Enumerable.Range(1, expected + 1).Select(i => $"172.16.0.{i}").Order(), all);
    }

    [Fact]
    public async Task parallel_add_nodes_with_one_expected_version_let_one_win_and_the_others_learn_the_new_version()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var version = running.Int("version");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            user.Client.Send(Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = version })));

        var winner = Assert.Single(responses, r => r.Errors is null).Data!["addNodes"]!;
        Assert.All(responses.Where(r => r.Errors is not null), r =>
        {
            var error = r.Errors![0]!.AsObject();
            Assert.Equal("VERSION_CONFLICT", error.Code());
            Assert.Equal(winner.Int("version"), error["extensions"]!["currentVersion"]!.GetValue<int>());
        });
        Vpn.AssertUniqueAddressesInSubnet(await user.Service(id));
    }

    [Fact]
    public async Task fifty_agents_lost_at_once_get_fifty_replacements_with_distinct_addresses()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        await user.AddNodes(id, 49);
        var full = await user.BootAll(id);
        Assert.Equal("RUNNING", full.Str("state"));
        var lost = full.LiveAgents();
        Assert.Equal(50, lost.Count);

        var results = await Vpn.InParallel(lost.Select(vm => (Func<Task>)(() =>
            user.Record(new VmOutcome.Lost(Guid.Parse(vm.Str("id")), "the cloud lost it")))));
        Assert.All(results, r => Assert.True(r is null, $"the outcome was not recorded: {r}"));

        var adapting = await user.Service(id);
        Assert.Equal("ADAPTING", adapting.Str("state"));
        Assert.Equal(50, adapting.Desired("node"));
        Assert.All(lost, vm => Assert.Equal("LOST", adapting.Items("nodes").Single(n => n.Str("id") == vm.Str("id")).Str("state")));
        var replacements = adapting.LiveAgents();
        Assert.Equal(50, replacements.Count);
        Assert.All(replacements, r => Assert.Equal(("REQUESTED", "node"), (r.Str("state"), r.Str("serviceRole"))));
        Assert.DoesNotContain(replacements, r => lost.Any(l => l.Str("id") == r.Str("id")));
        Assert.Equal(100, replacements.Concat(lost).Select(n => n.Str("name")).Distinct().Count());
        Vpn.AssertUniqueAddressesInSubnet(adapting);
        Assert.DoesNotContain(replacements, r => r.Str("vpnAddress") == adapting.Manager().Str("vpnAddress"));

        var again = await user.BootAll(id);
        Assert.Equal("RUNNING", again.Str("state"));
        Assert.Equal(50, again.LiveAgents().Count);
    }

    [Fact]
    public async Task a_race_of_scaling_and_lost_vms_shares_no_address_and_settles_on_the_desired_count()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        await user.AddNodes(id, 9);
        var full = await user.BootAll(id);
        var agents = full.LiveAgents().OrderBy(n => n.Str("name").Length).ThenBy(n => n.Str("name"), StringComparer.Ordinal).ToList();

        var answers = new System.Collections.Concurrent.ConcurrentBag<GraphQLResponse>();
        var requests = new List<Func<Task>>
        {
            async () => answers.Add(await user.Client.Send(Ops.AddNodes, new { id, nodes = Ops.Nodes(3), v = (int?)null })),
            async () => answers.Add(await user.Client.Send(Ops.RemoveNodes, new { id, nodes = Ops.Nodes(2), v = (int?)null })),
            async () => answers.Add(await user.Client.Send(Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null })),
        };
        // The oldest five are lost, and one that removeNodes may choose too.
        foreach (var vm in agents.Take(5).Append(agents[^1]))
            requests.Add(() => user.Record(new VmOutcome.Lost(Guid.Parse(vm.Str("id")), "gone")));
        var results = await Vpn.InParallel(requests);
        Assert.All(results, r => Assert.True(r is null, $"failed: {r}"));
        // A user's request may lose the race (the service is ADAPTING by then), never anything worse.
        Assert.All(answers.Where(a => a.Errors is not null), a => Assert.Equal("CONFLICT", a.Errors![0]!.AsObject().Code()));

        Vpn.AssertUniqueAddressesInSubnet(await user.Service(id));

        JsonNode settled = await user.Service(id);
        for (var i = 0; i < 5 && settled.Str("state") != "RUNNING"; i++)
        {
            await user.BootAll(id);
            await user.TerminateAll(id);
            settled = await user.Service(id);
            Vpn.AssertUniqueAddressesInSubnet(settled);
        }

        Assert.Equal("RUNNING", settled.Str("state"));
        Assert.All(settled.LiveNodes(), n => Assert.Equal("RUNNING", n.Str("state")));
        Assert.Equal(settled.Desired("node"), settled.LiveAgents().Count);
        Assert.All(agents.Take(5), vm => Assert.Equal("LOST", settled.Items("nodes").Single(n => n.Str("id") == vm.Str("id")).Str("state")));
    }
}

/// <summary>6 service bits: 64 subnets of /18, room for 50 services in one application.</summary>
public sealed class WideVpnApp : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Vpn:ServiceBits"] = "6" };
}

public sealed class WideVpnConcurrencyTests(WideVpnApp app) : IClassFixture<WideVpnApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task fifty_parallel_additions_to_one_application_never_share_a_sid_or_a_subnet()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var appId = await user.NewApplicationId();

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            user.Client.Send(Ops.AddService, new { app = appId, type = "helloworld", name = $"parallel {i}", key = (string?)null })));

        var added = responses.Where(r => r.Errors is null).Select(r => r.Data!["addService"]!).ToList();
        Assert.All(responses.Where(r => r.Errors is not null), r => Assert.Equal("CONFLICT", r.Errors![0]!.AsObject().Code()));
        Assert.NotEmpty(added);
        Assert.Equal(Enumerable.Range(1, added.Count), added.Select(s => s.Int("sid")).Order());
        var subnets = added.Select(s => s.Str("subnet")).ToList();
        Assert.Equal(subnets.Count, subnets.Distinct().Count());
        Assert.All(subnets, s =>
        {
            Assert.EndsWith("/18", s);
            Assert.True(Vpn.Contains("172.16.0.0/12", s.Split('/')[0]));
        });

        // What was answered is what was stored, and nothing else.
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var application = await session.LoadAsync<Application>(Guid.Parse(appId), Ct);
        Assert.Equal(added.Select(s => Guid.Parse(s.Str("id"))).Order(), application!.Services.Select(s => s.ServiceId).Order());
        Assert.Equal(1 + added.Count, application.Version);
        Assert.Equal(added.Count, await session.Query<Service>().CountAsync(s => s.ApplicationId == application.Id, Ct));

        // The plan holds 64: fill it, and the next one is refused.
        for (var i = added.Count; i < 64; i++) await user.AddService(appId);
        var error = await user.Client.Fails("VPN_EXHAUSTED", Ops.AddService, new { app = appId, type = "php", name = (string?)null, key = (string?)null });
        Assert.Contains("holds 64 service subnets", error.Message());
        var all = (await user.Application(appId)).Items("services").Select(s => s.Str("subnet")).ToList();
        Assert.Equal(64, all.Distinct().Count());
    }

    [Fact]
    public async Task parallel_additions_with_one_idempotency_key_add_one_service()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var appId = await user.NewApplicationId();
        var key = "k-" + Guid.NewGuid();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            user.Client.Send(Ops.AddService, new { app = appId, type = "php", name = (string?)null, key })));

        Assert.All(responses, r => Assert.True(r.Errors is null, r.Body.ToJsonString()));
        Assert.Single(responses.Select(r => r.Data!["addService"]!.Str("id")).Distinct());
        Assert.Single((await user.Application(appId)).Items("services"));
        Assert.Equal(2, await user.StreamVersion(appId));
    }
}

/// <summary>No VPN configured: no networks, no subnets, no VPN addresses, and no limit on services.</summary>
public sealed class NoVpnApp : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Vpn:BaseNetwork"] = "",
        ["Vpn:Netmask"] = "",
        ["Vpn:ServiceBits"] = "",
    };
}

public sealed class NoVpnTests(NoVpnApp app) : IClassFixture<NoVpnApp>
{
    [Fact]
    public async Task without_a_vpn_nothing_has_an_address_and_everything_works()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var created = await user.CreateApplication();
        Assert.Null(created.StrOrNull("network"));
        var appId = created.Str("id");

        var id = (await user.AddService(appId)).Str("id");
        var started = await user.Start(id);
        Assert.Null(started.StrOrNull("subnet"));
        Assert.Equal(2, started.LiveNodes().Count);
        Assert.All(started.LiveNodes(), n => Assert.Null(n.StrOrNull("vpnAddress")));

        Assert.Equal("RUNNING", (await user.BootAll(id)).Str("state"));
        Assert.Equal(3, (await user.AddNodes(id, 2)).LiveAgents().Count);
        var running = await user.BootAll(id);
        Assert.Equal("RUNNING", running.Str("state"));

        await user.Record(new VmOutcome.Lost(Guid.Parse(running.LiveAgents()[0].Str("id")), "gone"));
        var replaced = await user.BootAll(id);
        Assert.Equal(("RUNNING", 3), (replaced.Str("state"), replaced.LiveAgents().Count));
        Assert.All(replaced.LiveNodes(), n => Assert.Null(n.StrOrNull("vpnAddress")));
        Assert.All(await user.Vms(appId), v => Assert.Null(v.StrOrNull("vpnAddress")));

        await user.RemoveNodes(id, 1);
        await user.TerminateAll(id);
        await user.Stop(id);
        await user.TerminateAll(id);
        Assert.Equal("STOPPED", (await user.Service(id)).Str("state"));
        Assert.Null((await user.Application(appId)).StrOrNull("network"));
    }

    [Fact]
    public async Task without_a_vpn_an_application_holds_more_services_than_any_plan_would()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var appId = await user.NewApplicationId();
        for (var i = 1; i <= 40; i++)
        {
            var added = await user.AddService(appId);
            Assert.Equal(i, added.Int("sid"));
            Assert.Null(added.StrOrNull("subnet"));
        }

        Assert.Equal(40, (await user.Application(appId)).Items("services").Count);
    }
}

/// <summary>A tiny plan (10.0.0.0/24, 5 service bits): /29 service subnets of 7 VM addresses each.</summary>
public sealed class TinyVpnApp : DirectorApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Vpn:BaseNetwork"] = "10.0.0.0",
        ["Vpn:Netmask"] = "255.255.255.0",
        ["Vpn:ServiceBits"] = "5",
    };
}

public sealed class TinyVpnTests(TinyVpnApp app) : IClassFixture<TinyVpnApp>
{
    [Fact]
    public async Task a_full_service_subnet_refuses_more_nodes_but_replaces_lost_ones_in_place()
    {
        var user = await ServiceScenario.ForNewUser(app);
        var created = await user.CreateApplication();
        Assert.Equal("10.0.0.0/24", created.Str("network"));
        var appId = created.Str("id");
        Assert.Equal("10.0.0.0/29", (await user.AddService(appId, "php")).Str("subnet"));
        var id = (await user.AddService(appId)).Str("id");

        var started = await user.Start(id);
        Assert.Equal("10.0.0.8/29", started.Str("subnet"));
        Assert.Equal(("10.0.0.9", "10.0.0.10"), (started.Manager().Str("vpnAddress"), started.LiveAgents()[0].Str("vpnAddress")));
        await user.BootAll(id);
        await user.AddNodes(id, 5);
        var full = await user.BootAll(id);
        Assert.Equal(7, full.LiveNodes().Count);
        Vpn.AssertUniqueAddressesInSubnet(full);

        var version = full.Int("version");
        var error = await user.Client.Fails("VPN_EXHAUSTED", Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null });
        Assert.Equal("VPN address space exhausted: service subnet 10.0.0.8/29 holds 7 VM addresses and all are in use", error.Message());
        Assert.Equal(version, await user.StreamVersion(id));
        Assert.Equal("RUNNING", (await user.Service(id)).Str("state"));

        // Every agent lost at once: each replacement takes the address its lost node gave back.
        var lost = full.LiveAgents();
        var results = await Vpn.InParallel(lost.Select(vm => (Func<Task>)(() =>
            user.Record(new VmOutcome.Lost(Guid.Parse(vm.Str("id")), "gone")))));
        Assert.All(results, r => Assert.True(r is null, $"the outcome was not recorded: {r}"));
        var replaced = await user.Service(id);
        Assert.Equal("ADAPTING", replaced.Str("state"));
        Assert.Equal(6, replaced.LiveAgents().Count);
        Vpn.AssertUniqueAddressesInSubnet(replaced);
        Assert.Equal(lost.Select(n => n.Str("vpnAddress")).Order(), replaced.LiveAgents().Select(n => n.Str("vpnAddress")).Order());
        Assert.Equal("RUNNING", (await user.BootAll(id)).Str("state"));

        // Scaling in gives an address back; the next node takes it.
        var removed = Assert.Single((await user.RemoveNodes(id, 1)).LiveNodes(), n => n.Str("state") == "TERMINATING");
        await user.TerminateAll(id);
        var readded = Assert.Single((await user.AddNodes(id, 1)).LiveAgents(), n => n.Str("state") == "REQUESTED");
        Assert.Equal(removed.Str("vpnAddress"), readded.Str("vpnAddress"));
    }
}
