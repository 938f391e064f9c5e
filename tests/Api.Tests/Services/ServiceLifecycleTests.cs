using System.Text.Json.Nodes;
using Conpaas.Api.Tests.Infrastructure;
using Conpaas.CloudAgents.Outcomes;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Conpaas.Api.Tests.Services;

/// <summary>
/// The ConPaaS service state machine end to end: real GraphQL over HTTP for the user's side, the real
/// <see cref="VmOutcomeRecorder"/> for what the cloud reports.
/// </summary>
public sealed class ServiceLifecycleTests(DirectorApp app) : IClassFixture<DirectorApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<ServiceScenario> User(int? credit = null) => ServiceScenario.ForNewUser(app, credit);

    private static Guid Id(JsonNode node) => Guid.Parse(node.Str("id"));

    private static JsonNode Vm(JsonNode service, string id) => service.Items("nodes").Single(n => n.Str("id") == id);

    private static string Suffix(JsonNode vm) => vm.Str("name").Split('-')[^1];

    [Fact]
    public async Task an_added_service_is_in_init_with_its_sid_default_name_and_subnet()
    {
        var user = await User();
        var appId = await user.NewApplicationId();

        var first = await user.AddService(appId);
        var second = await user.AddService(appId, "php", "  shop  ");

        Assert.Equal(1, first.Int("sid"));
        Assert.Equal("New helloworld service", first.Str("name"));
        Assert.Equal("helloworld", first.Str("type"));
        Assert.Equal("INIT", first.Str("state"));
        Assert.Null(first.StrOrNull("cloud"));
        Assert.Null(first.StrOrNull("stateReason"));
        Assert.Equal("172.16.0.0/17", first.Str("subnet"));
        Assert.Empty(first.Items("nodes"));
        Assert.Equal(1, first.Int("version"));
        Assert.All(first.Items("nodeCounts"), c => Assert.Equal(0, c.Int("count")));

        Assert.Equal(2, second.Int("sid"));
        Assert.Equal("shop", second.Str("name"));
        Assert.Equal("172.16.128.0/17", second.Str("subnet"));
        Assert.Equal(["backend", "web", "proxy"], second.Items("nodeCounts").Select(c => c.Str("role")));

        var read = (await user.Client.Ok(Ops.ServiceWithApplication, new { id = first.Str("id") }))["service"]!;
        Assert.Equal(appId, read["application"]!.Str("id"));
    }

    [Fact]
    public async Task a_service_starts_scales_out_and_in_stops_and_starts_again()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId)).Str("id");

        // start → PROLOGUE with the manager and the one initial agent requested, manager first in the subnet.
        var started = await user.Start(id);
        Assert.Equal("PROLOGUE", started.Str("state"));
        Assert.Equal("default", started.Str("cloud"));
        Assert.Equal(1, started.Desired("node"));
        var manager = started.Manager();
        var agent = Assert.Single(started.LiveAgents());
        Assert.Equal(("REQUESTED", "172.16.0.1", "1"), (manager.Str("state"), manager.Str("vpnAddress"), Suffix(manager)));
        Assert.Equal(("REQUESTED", "172.16.0.2", "2", "node"), (agent.Str("state"), agent.Str("vpnAddress"), Suffix(agent), agent.Str("serviceRole")));
        Assert.All(started.LiveNodes(), n => Assert.Equal("default", n.Str("cloud")));
        Assert.All(started.LiveNodes(), n => Assert.Null(n.StrOrNull("address")));

        // The cloud creates both; the service waits for the last one to be ready.
        await user.Record(new VmOutcome.Provisioning(Id(manager)));
        Assert.Equal("PROVISIONING", Vm(await user.Service(id), manager.Str("id")).Str("state"));
        await user.Record(new VmOutcome.Created(Id(manager), "prov-m", null));
        await user.Record(new VmOutcome.Created(Id(agent), "prov-a", "127.0.0.1:9102"));
        var booting = await user.Service(id);
        Assert.Equal("PROLOGUE", booting.Str("state"));
        Assert.Equal(("BOOTING", "prov-m"), (Vm(booting, manager.Str("id")).Str("state"), Vm(booting, manager.Str("id")).Str("providerId")));
        Assert.Equal("127.0.0.1:9102", Vm(booting, agent.Str("id")).Str("address"));

        await user.Record(new VmOutcome.Ready(Id(manager), "127.0.0.1:9101"));
        Assert.Equal("PROLOGUE", (await user.Service(id)).Str("state"));
        await user.Record(new VmOutcome.Ready(Id(agent), "127.0.0.1:9102"));
        var running = await user.Service(id);
        Assert.Equal("RUNNING", running.Str("state"));
        Assert.All(running.LiveNodes(), n => Assert.Equal("RUNNING", n.Str("state")));
        Assert.Equal("127.0.0.1:9101", Vm(running, manager.Str("id")).Str("address"));

        // addNodes 2 → ADAPTING with two more agents, numbered and addressed after the others.
        var adapting = await user.AddNodes(id, 2);
        Assert.Equal("ADAPTING", adapting.Str("state"));
        Assert.Equal(3, adapting.Desired("node"));
        var added = adapting.LiveAgents().Where(n => n.Str("state") == "REQUESTED").ToList();
        Assert.Equal(["172.16.0.3", "172.16.0.4"], added.Select(n => n.Str("vpnAddress")).Order());
        Assert.Equal(["3", "4"], added.Select(Suffix).Order());
        running = await user.BootAll(id);
        Assert.Equal("RUNNING", running.Str("state"));
        Assert.Equal(3, running.LiveAgents().Count);

        // removeNodes 1 → the newest agent goes; RUNNING once the cloud has let it go.
        var shrinking = await user.RemoveNodes(id, 1);
        Assert.Equal("ADAPTING", shrinking.Str("state"));
        Assert.Equal(2, shrinking.Desired("node"));
        var chosen = Assert.Single(shrinking.LiveNodes(), n => n.Str("state") == "TERMINATING");
        Assert.Equal("4", Suffix(chosen));
        Assert.Equal("AGENT", chosen.Str("role"));
        await user.Record(new VmOutcome.Terminated(Id(chosen)));
        running = await user.Service(id);
        Assert.Equal("RUNNING", running.Str("state"));
        Assert.Equal(2, running.LiveAgents().Count);
        Assert.Equal("TERMINATED", Vm(running, chosen.Str("id")).Str("state"));

        // Only the nodes beyond the role's initial one may go.
        var version = running.Int("version");
        var tooMany = await user.Client.Fails("INVALID_INPUT", Ops.RemoveNodes, new { id, nodes = Ops.Nodes(5), v = (int?)null });
        Assert.Equal("Requesting to delete 5 nodes while only 1 can be removed", tooMany.Message());
        Assert.Equal("count", tooMany.Field());
        Assert.Equal(version, await user.StreamVersion(id));

        // A released VPN address is handed out again; VM numbers never are.
        var readded = Assert.Single((await user.AddNodes(id, 1)).LiveAgents(), n => n.Str("state") == "REQUESTED");
        Assert.Equal(("172.16.0.4", "5"), (readded.Str("vpnAddress"), Suffix(readded)));
        running = await user.BootAll(id);
        Assert.Equal("RUNNING", running.Str("state"));

        // stop → EPILOGUE, every VM let go; STOPPED once the cloud confirms.
        var stopping = await user.Stop(id);
        Assert.Equal("EPILOGUE", stopping.Str("state"));
        Assert.Equal(4, stopping.LiveNodes().Count);
        Assert.All(stopping.LiveNodes(), n => Assert.Equal("TERMINATING", n.Str("state")));
        await user.TerminateAll(id);
        var stopped = await user.Service(id);
        Assert.Equal("STOPPED", stopped.Str("state"));
        Assert.Empty(stopped.LiveNodes());
        Assert.All(stopped.Items("nodeCounts"), c => Assert.Equal(0, c.Int("count")));
        Assert.Empty(await user.Vms());

        // Start again: fresh VMs with new numbers, the lowest addresses again.
        var restarted = await user.Start(id);
        Assert.Equal("PROLOGUE", restarted.Str("state"));
        Assert.Equal(("6", "172.16.0.1"), (Suffix(restarted.Manager()), restarted.Manager().Str("vpnAddress")));
        var newAgent = Assert.Single(restarted.LiveAgents());
        Assert.Equal(("7", "172.16.0.2"), (Suffix(newAgent), newAgent.Str("vpnAddress")));
        Assert.Equal(7, restarted.Items("nodes").Select(n => n.Str("name")).Distinct().Count());
        // Live ones first, then the VMs of the earlier run.
        var live = restarted.Items("nodes").Select(n => Json.LiveStates.Contains(n.Str("state"))).ToList();
        Assert.Equal(live.OrderByDescending(l => l), live);
        Assert.Equal("RUNNING", (await user.BootAll(id)).Str("state"));
    }

    [Fact]
    public async Task a_stop_while_booting_wins_and_a_vm_ready_after_it_is_never_running()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId)).Str("id");
        var started = await user.Start(id);
        var manager = started.Manager();
        var agent = Assert.Single(started.LiveAgents());
        await user.Record(new VmOutcome.Created(Id(manager), "p1", null));

        var stopping = await user.Stop(id);
        Assert.Equal("EPILOGUE", stopping.Str("state"));
        Assert.All(stopping.LiveNodes(), n => Assert.Equal("TERMINATING", n.Str("state")));
        // Stopping twice is harmless; starting while stopping is not allowed.
        Assert.Equal("EPILOGUE", (await user.Stop(id)).Str("state"));
        var early = await user.Client.Fails("CONFLICT", Ops.StartService, new { id, cloud = (string?)null });
        Assert.Equal("Wrong service state: was expecting one of [INIT, STOPPED] but current state is 'EPILOGUE'", early.Message());

        // The boots finish after the stop: neither VM, nor the service, is ever running.
        await user.Record(new VmOutcome.Ready(Id(manager), "127.0.0.1:9201"));
        await user.Record(new VmOutcome.Created(Id(agent), "p2", null));
        await user.Record(new VmOutcome.Ready(Id(agent), "127.0.0.1:9202"));
        var late = await user.Service(id);
        Assert.Equal("EPILOGUE", late.Str("state"));
        Assert.All(late.LiveNodes(), n => Assert.Equal("TERMINATING", n.Str("state")));

        await user.TerminateAll(id);
        var stopped = await user.Service(id);
        Assert.Equal("STOPPED", stopped.Str("state"));
        Assert.All(stopped.Items("nodes"), n => Assert.Equal("TERMINATED", n.Str("state")));

        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        foreach (var vm in new[] { manager, agent })
        {
            var events = await session.Events.FetchStreamAsync(Id(vm), token: Ct);
            Assert.DoesNotContain(events, e => e.EventTypeName == "vm_ready");
        }

        var serviceEvents = await session.Events.FetchStreamAsync(Guid.Parse(id), token: Ct);
        Assert.DoesNotContain(serviceEvents, e => e.EventTypeName is "service_running" or "node_ready");
    }

    [Fact]
    public async Task a_stop_while_adapting_wins_over_the_nodes_still_booting()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var adding = await user.AddNodes(id, 2);
        var fresh = adding.LiveAgents().Where(n => n.Str("state") == "REQUESTED").ToList();
        Assert.Equal(2, fresh.Count);

        await user.Stop(id);
        foreach (var vm in fresh) await user.Record(new VmOutcome.Ready(Id(vm), ScenarioAddress()));

        var stopping = await user.Service(id);
        Assert.Equal("EPILOGUE", stopping.Str("state"));
        Assert.All(stopping.LiveNodes(), n => Assert.Equal("TERMINATING", n.Str("state")));
        await user.TerminateAll(id);
        Assert.Equal("STOPPED", (await user.Service(id)).Str("state"));
        Assert.Empty(await user.Vms());
    }

    private static string ScenarioAddress() => ServiceScenario.NextAddress();

    [Fact]
    public async Task a_vm_failing_to_boot_puts_the_service_in_error_and_releases_the_others()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId, "php")).Str("id");
        var started = await user.Start(id);
        var manager = started.Manager();
        var backend = Assert.Single(started.LiveAgents());
        await user.Record(new VmOutcome.Created(Id(manager), "p1", null));
        await user.Record(new VmOutcome.Ready(Id(manager), "127.0.0.1:9301"));
        await user.Record(new VmOutcome.Created(Id(backend), "p2", null));

        await user.Record(new VmOutcome.Failed(Id(backend), "did not become ready within 300 s"));

        var failed = await user.Service(id);
        Assert.Equal("ERROR", failed.Str("state"));
        Assert.Equal($"VM {backend.Str("name")} failed: did not become ready within 300 s", failed.Str("stateReason"));
        var failedVm = Vm(failed, backend.Str("id"));
        Assert.Equal(("FAILED", "did not become ready within 300 s"), (failedVm.Str("state"), failedVm.Str("stateReason")));
        Assert.Equal("TERMINATING", Vm(failed, manager.Str("id")).Str("state"));

        var restart = await user.Client.Fails("CONFLICT", Ops.StartService, new { id, cloud = (string?)null });
        Assert.Equal("Wrong service state: was expecting one of [INIT, STOPPED] but current state is 'ERROR'", restart.Message());
        await user.Client.Fails("CONFLICT", Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null });

        // The cloud lets both go; the service stays in ERROR until the user stops it, then may start again.
        await user.TerminateAll(id);
        var released = await user.Service(id);
        Assert.Equal("ERROR", released.Str("state"));
        Assert.Equal("FAILED", Vm(released, backend.Str("id")).Str("state"));
        Assert.Equal("TERMINATED", Vm(released, manager.Str("id")).Str("state"));
        Assert.Empty(await user.Vms());

        Assert.Equal("STOPPED", (await user.Stop(id)).Str("state"));
        Assert.Equal("PROLOGUE", (await user.Start(id)).Str("state"));
        Assert.Equal("RUNNING", (await user.BootAll(id)).Str("state"));
    }

    [Fact]
    public async Task a_service_in_error_stopped_before_its_vms_are_gone_stops_when_they_are()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId)).Str("id");
        var started = await user.Start(id);
        await user.Record(new VmOutcome.Failed(Id(started.Manager()), "boom"));
        Assert.Equal("ERROR", (await user.Service(id)).Str("state"));

        var stopping = await user.Stop(id);
        Assert.Equal("EPILOGUE", stopping.Str("state"));
        await user.TerminateAll(id);
        Assert.Equal("STOPPED", (await user.Service(id)).Str("state"));
    }

    [Fact]
    public async Task a_lost_running_agent_is_replaced_in_its_role_and_the_service_runs_again()
    {
        var user = await User();
        var (_, running) = await user.RunningService("mysql");
        var id = running.Str("id");
        var lost = Assert.Single(running.LiveAgents());

        await user.Record(new VmOutcome.Lost(Id(lost), "gone at the cloud"));

        var adapting = await user.Service(id);
        Assert.Equal("ADAPTING", adapting.Str("state"));
        Assert.Equal(("LOST", "gone at the cloud"), (Vm(adapting, lost.Str("id")).Str("state"), Vm(adapting, lost.Str("id")).Str("stateReason")));
        var replacement = Assert.Single(adapting.LiveAgents());
        Assert.NotEqual(lost.Str("id"), replacement.Str("id"));
        Assert.Equal(("REQUESTED", "mysql", "AGENT", "default"),
            (replacement.Str("state"), replacement.Str("serviceRole"), replacement.Str("role"), replacement.Str("cloud")));
        Assert.Equal("3", Suffix(replacement));
        Assert.StartsWith("172.16.0.", replacement.Str("vpnAddress"));
        Assert.NotEqual(adapting.Manager().Str("vpnAddress"), replacement.Str("vpnAddress"));
        Assert.Equal(1, adapting.Desired("mysql"));

        // Reported twice (a second reconciliation pass, say): nothing more happens.
        await user.Record(new VmOutcome.Lost(Id(lost), "gone at the cloud"));
        Assert.Single((await user.Service(id)).LiveAgents());

        var again = await user.BootAll(id);
        Assert.Equal("RUNNING", again.Str("state"));
        Assert.Equal(replacement.Str("id"), Assert.Single(again.LiveAgents()).Str("id"));
    }

    [Fact]
    public async Task a_lost_manager_is_replaced_by_a_manager()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var manager = running.Manager();

        await user.Record(new VmOutcome.Lost(Id(manager), "host crashed"));

        var adapting = await user.Service(id);
        Assert.Equal("ADAPTING", adapting.Str("state"));
        var replacement = adapting.Manager();
        Assert.NotEqual(manager.Str("id"), replacement.Str("id"));
        Assert.Equal("REQUESTED", replacement.Str("state"));
        Assert.Null(replacement.StrOrNull("serviceRole"));
        Assert.Equal("RUNNING", (await user.BootAll(id)).Str("state"));
    }

    [Fact]
    public async Task a_running_agent_that_fails_is_replaced_like_a_lost_one()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var agent = Assert.Single(running.LiveAgents());

        await user.Record(new VmOutcome.Failed(Id(agent), "health check failed"));

        var adapting = await user.Service(id);
        Assert.Equal("ADAPTING", adapting.Str("state"));
        Assert.Null(adapting.StrOrNull("stateReason"));
        Assert.Equal("FAILED", Vm(adapting, agent.Str("id")).Str("state"));
        Assert.Single(adapting.LiveAgents(), n => n.Str("state") == "REQUESTED");
        await user.TerminateAll(id);
        Assert.Equal("RUNNING", (await user.BootAll(id)).Str("state"));
    }

    [Fact]
    public async Task removing_a_running_service_stops_it_and_removes_it_once_its_vms_are_gone()
    {
        var user = await User();
        var (appId, running) = await user.RunningService();
        var id = running.Str("id");

        Assert.True((await user.Client.Ok(Ops.RemoveService, new { id }))["removeService"]!.GetValue<bool>());

        var stopping = await user.Service(id);
        Assert.Equal("EPILOGUE", stopping.Str("state"));
        Assert.All(stopping.LiveNodes(), n => Assert.Equal("TERMINATING", n.Str("state")));
        // A second removal while it stops is the same request.
        Assert.True((await user.Client.Ok(Ops.RemoveService, new { id }))["removeService"]!.GetValue<bool>());
        await user.Client.Fails("CONFLICT", Ops.StartService, new { id, cloud = (string?)null });

        await user.TerminateAll(id);

        var gone = await user.Client.Fails("NOT_FOUND", Ops.Service, new { id });
        Assert.Equal($"Service not found: {id}", gone.Message());
        await user.Client.Fails("NOT_FOUND", Ops.RemoveService, new { id });
        await user.Client.Fails("NOT_FOUND", Ops.StartService, new { id, cloud = (string?)null });
        var application = await user.Application(appId);
        Assert.Empty(application.Items("services"));
        Assert.All(application.Items("vms"), v => Assert.Equal("TERMINATED", v.Str("state")));

        // Its subnet is free again; its sid is not.
        var next = await user.AddService(appId);
        Assert.Equal((2, "172.16.0.0/17"), (next.Int("sid"), next.Str("subnet")));
    }

    [Fact]
    public async Task the_terminated_vms_of_a_removed_service_are_still_listed_when_asked_for()
    {
        var user = await User();
        var (appId, running) = await user.RunningService();
        var id = running.Str("id");
        await user.Client.Ok(Ops.RemoveService, new { id });
        await user.TerminateAll(id);
        await user.Client.Fails("NOT_FOUND", Ops.Service, new { id });

        // ConPaaS list_resources with history: the VMs a removed service held, and which service that was.
        var listed = await user.Client.Send(Ops.Vms, new { app = (string?)null, terminated = true, all = (bool?)null });
        Assert.True(listed.Errors is null, "vms(includeTerminated: true) { service { … } } after removeService: " + listed.Body.ToJsonString());
        var vms = listed.Data!["vms"]!.AsArray().Select(v => v!).ToList();
        Assert.Equal(2, vms.Count);
        Assert.All(vms, v => Assert.Equal((id, "TERMINATED"), (v["service"]!.Str("id"), v.Str("state"))));
        Assert.Equal(2, (await user.Application(appId)).Items("vms").Count);
    }

    [Fact]
    public async Task a_vm_lost_while_its_service_stops_counts_as_released()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        await user.Stop(id);

        await user.Record(new VmOutcome.Lost(Id(running.Manager()), "gone"));
        Assert.Equal("EPILOGUE", (await user.Service(id)).Str("state"));
        await user.Record(new VmOutcome.Terminated(Id(running.LiveAgents()[0])));

        var stopped = await user.Service(id);
        Assert.Equal("STOPPED", stopped.Str("state"));
        Assert.Empty(stopped.LiveNodes());
        // Nothing was requested to replace it.
        Assert.Equal(2, stopped.Items("nodes").Count);
    }

    [Fact]
    public async Task a_vm_lost_while_the_service_starts_is_replaced()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId)).Str("id");
        var started = await user.Start(id);
        var agent = Assert.Single(started.LiveAgents());

        await user.Record(new VmOutcome.Lost(Id(agent), "never came up"));

        var still = await user.Service(id);
        Assert.Equal("PROLOGUE", still.Str("state"));
        Assert.Equal("REQUESTED", Assert.Single(still.LiveAgents()).Str("state"));
        Assert.Equal("RUNNING", (await user.BootAll(id)).Str("state"));
    }

    [Fact]
    public async Task a_new_node_failing_to_boot_while_scaling_is_given_up_and_the_service_runs_on_with_the_nodes_it_has()
    {
        var user = await User();
        var (_, running) = await user.RunningService();
        var id = running.Str("id");
        var fresh = Assert.Single((await user.AddNodes(id, 1)).LiveAgents(), n => n.Str("state") == "REQUESTED");

        await user.Record(new VmOutcome.Failed(Id(fresh), "no IP"));

        var adapting = await user.Service(id);
        Assert.Equal("ADAPTING", adapting.Str("state")); // until the failed VM is gone
        Assert.Equal(["RUNNING", "RUNNING"], running.LiveNodes().Select(n => Vm(adapting, n.Str("id")).Str("state")));
        await user.TerminateAll(id);
        var after = await user.Service(id);
        Assert.Equal("RUNNING", after.Str("state"));
        Assert.Equal($"VM {fresh.Str("name")} failed: no IP", after.Str("stateReason"));
        Assert.Equal(running.LiveNodes().Select(n => n.Str("id")).Order(), after.LiveNodes().Select(n => n.Str("id")).Order());
        Assert.Equal(1, after.Desired("node"));
        Assert.Equal(("FAILED", "no IP"), (Vm(after, fresh.Str("id")).Str("state"), Vm(after, fresh.Str("id")).Str("stateReason")));
        Assert.Equal(2, (await user.Vms()).Count);
    }

    [Fact]
    public async Task a_stop_racing_the_last_readiness_reports_always_wins()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var id = (await user.AddService(appId)).Str("id");
            var started = await user.Start(id);
            foreach (var vm in started.LiveNodes()) await user.Record(new VmOutcome.Created(Id(vm), "p-" + vm.Str("id")[..8], null));
            ids.Add(id);
        }

        var races = new List<Task>();
        foreach (var id in ids)
        {
            var nodes = (await user.Service(id)).LiveNodes();
            races.Add(user.Client.Ok(Ops.StopService, new { id }));
            races.AddRange(nodes.Select(vm => user.Record(new VmOutcome.Ready(Id(vm), ServiceScenario.NextAddress()))));
        }

        await Task.WhenAll(races);

        foreach (var id in ids)
        {
            var service = await user.Service(id);
            Assert.Equal("EPILOGUE", service.Str("state"));
            Assert.All(service.LiveNodes(), n => Assert.Equal("TERMINATING", n.Str("state")));
            await user.TerminateAll(id);
            Assert.Equal("STOPPED", (await user.Service(id)).Str("state"));
        }

        Assert.Empty(await user.Vms());
    }

    [Fact]
    public async Task parallel_starts_of_one_service_request_one_set_of_vms()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId, "php")).Str("id");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => user.Client.Send(Ops.StartService, new { id, cloud = (string?)null })));

        Assert.Single(responses, r => r.Errors is null);
        Assert.All(responses.Where(r => r.Errors is not null), r => Assert.Equal("CONFLICT", r.Errors![0]!.AsObject().Code()));
        Assert.Equal(2, await user.VmCount(id));
        Assert.Equal(["172.16.0.1", "172.16.0.2"], (await user.Service(id)).LiveNodes().Select(n => n.Str("vpnAddress")).Order());
    }

    [Fact]
    public async Task removing_a_service_that_holds_no_vms_is_immediate()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId)).Str("id");

        await user.Client.Ok(Ops.RemoveService, new { id });

        await user.Client.Fails("NOT_FOUND", Ops.Service, new { id });
        Assert.Empty((await user.Application(appId)).Items("services"));
    }

    [Fact]
    public async Task a_service_is_renamed_with_its_current_version_and_a_stale_one_is_refused()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var added = await user.AddService(appId);
        var id = added.Str("id");

        var renamed = (await user.Client.Ok(Ops.RenameService, new { id, name = " web tier ", v = added.Int("version") }))["renameService"]!;
        Assert.Equal(("web tier", 2), (renamed.Str("name"), renamed.Int("version")));

        var stale = await user.Client.Fails("VERSION_CONFLICT", Ops.RenameService, new { id, name = "other", v = 1 });
        Assert.Equal(2, stale["extensions"]!["currentVersion"]!.GetValue<int>());
        Assert.Equal("web tier", (await user.Service(id)).Str("name"));
        Assert.Equal(2, await user.StreamVersion(id));

        // Renaming works in any state and changes nothing else.
        await user.Start(id);
        var whileStarting = (await user.Client.Ok(Ops.RenameService, new { id, name = "still starting", v = (int?)null }))["renameService"]!;
        Assert.Equal(("still starting", "PROLOGUE"), (whileStarting.Str("name"), whileStarting.Str("state")));
    }

    [Fact]
    public async Task the_same_idempotency_key_adds_one_service()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var key = "svc-" + Guid.NewGuid();

        var first = await user.AddService(appId, "php", "one", key);
        var retry = await user.AddService(appId, "php", "one", key);
        var parallel = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            user.Client.Send(Ops.AddService, new { app = appId, type = "php", name = "one", key })));

        Assert.Equal(first.Str("id"), retry.Str("id"));
        Assert.All(parallel, r => Assert.Equal(first.Str("id"), r.Data?["addService"]?.Str("id")));
        Assert.Equal(1, await user.StreamVersion(first.Str("id")));
        var application = await user.Application(appId);
        Assert.Single(application.Items("services"));
        // One subnet allocation on the application's stream.
        Assert.Equal(2, application.Int("version"));
    }

    [Fact]
    public async Task wrong_state_requests_are_refused_quoting_the_current_state_and_store_nothing()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId)).Str("id");

        async Task Refused(string document, object variables, string expected)
        {
            var before = await user.StreamVersion(id);
            var error = await user.Client.Fails("CONFLICT", document, variables);
            Assert.Equal(expected, error.Message());
            Assert.Equal(before, await user.StreamVersion(id));
        }

        await Refused(Ops.StopService, new { id }, "Wrong service state: was expecting one of [PROLOGUE, RUNNING, ADAPTING, ERROR] but current state is 'INIT'");
        await Refused(Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null }, "Wrong service state: was expecting one of [RUNNING] but current state is 'INIT'");
        await Refused(Ops.RemoveNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null }, "Wrong service state: was expecting one of [RUNNING] but current state is 'INIT'");

        await user.Start(id);
        await Refused(Ops.StartService, new { id, cloud = (string?)null }, "Wrong service state: was expecting one of [INIT, STOPPED] but current state is 'PROLOGUE'");
        await Refused(Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null }, "Wrong service state: was expecting one of [RUNNING] but current state is 'PROLOGUE'");

        await user.BootAll(id);
        await Refused(Ops.StartService, new { id, cloud = (string?)null }, "Wrong service state: was expecting one of [INIT, STOPPED] but current state is 'RUNNING'");

        await user.AddNodes(id, 1);
        await Refused(Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null }, "Wrong service state: was expecting one of [RUNNING] but current state is 'ADAPTING'");
        await Refused(Ops.RemoveNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null }, "Wrong service state: was expecting one of [RUNNING] but current state is 'ADAPTING'");

        await user.BootAll(id);
        await user.Stop(id);
        await user.TerminateAll(id);
        await Refused(Ops.StopService, new { id }, "Wrong service state: was expecting one of [PROLOGUE, RUNNING, ADAPTING, ERROR] but current state is 'STOPPED'");
        await Refused(Ops.RemoveNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null }, "Wrong service state: was expecting one of [RUNNING] but current state is 'STOPPED'");
    }

    [Fact]
    public async Task a_user_without_credit_cannot_start_a_service_and_no_vm_is_requested()
    {
        var user = await User(credit: 0);
        var appId = await user.NewApplicationId();
        var id = (await user.AddService(appId)).Str("id");

        var error = await user.Client.Fails("INSUFFICIENT_CREDIT", Ops.StartService, new { id, cloud = (string?)null });
        Assert.Equal("Insufficient credits", error.Message());

        Assert.Equal("INIT", (await user.Service(id)).Str("state"));
        Assert.Equal(1, await user.StreamVersion(id));
        Assert.Equal(0, await user.VmCount(id));
        Assert.Empty(await user.Vms(includeTerminated: true));

        // An administrator acting for the user spends the user's credit, not his own.
        var admin = await app.Admin();
        await admin.Fails("INSUFFICIENT_CREDIT", Ops.StartService, new { id, cloud = (string?)null });
        Assert.Equal(0, await user.VmCount(id));
    }

    [Fact]
    public async Task vms_lists_the_callers_vms_with_where_they_belong()
    {
        var ann = await User();
        var (annApp, running) = await ann.RunningService();
        var bob = await User();
        var (bobApp, _) = await bob.RunningService("php");

        var vms = await ann.Vms();
        Assert.Equal(2, vms.Count);
        Assert.Equal(running.LiveNodes().Select(n => n.Str("id")).Order(), vms.Select(v => v.Str("id")).Order());
        var manager = vms.Single(v => v.Str("role") == "MANAGER");
        var agent = vms.Single(v => v.Str("role") == "AGENT");
        Assert.Equal(vms[0].Str("id"), manager.Str("id"));
        Assert.Null(manager.StrOrNull("serviceRole"));
        Assert.Equal("node", agent.Str("serviceRole"));
        Assert.All(vms, v =>
        {
            Assert.Equal("RUNNING", v.Str("state"));
            Assert.Equal("default", v.Str("cloud"));
            Assert.StartsWith("127.0.0.1:", v.Str("address"));
            Assert.StartsWith("172.16.0.", v.Str("vpnAddress"));
            Assert.NotNull(v.StrOrNull("providerId"));
            Assert.Equal(running.Str("id"), v["service"]!.Str("id"));
            Assert.Equal(annApp, v["service"]!["application"]!.Str("id"));
        });

        // One application only; someone else's application answers like a missing one.
        var otherApp = await ann.NewApplicationId();
        Assert.Equal(2, (await ann.Vms(annApp)).Count);
        Assert.Empty(await ann.Vms(otherApp));
        await ann.Client.Fails("NOT_FOUND", Ops.Vms, new { app = bobApp, terminated = (bool?)null, all = (bool?)null });
        Assert.Equal("applicationId",
            (await ann.Client.Fails("INVALID_INPUT", Ops.Vms, new { app = "nope", terminated = (bool?)null, all = (bool?)null })).Field());

        // Terminated VMs only when asked for.
        await ann.Stop(running.Str("id"));
        Assert.All(await ann.Vms(), v => Assert.Equal("TERMINATING", v.Str("state")));
        await ann.TerminateAll(running.Str("id"));
        Assert.Empty(await ann.Vms());
        Assert.Empty(await ann.Vms(includeTerminated: false));
        var history = await ann.Vms(includeTerminated: true);
        Assert.Equal(2, history.Count);
        Assert.All(history, v => Assert.Equal("TERMINATED", v.Str("state")));
    }

    [Fact]
    public async Task all_vms_are_for_administrators_only()
    {
        var ann = await User();
        var (_, annService) = await ann.RunningService();
        var bob = await User();
        var (_, bobService) = await bob.RunningService();

        var refused = await ann.Client.Fails("FORBIDDEN", Ops.Vms, new { app = (string?)null, terminated = (bool?)null, all = true });
        Assert.Contains("all: true", refused.Message());
        await app.Client().Fails("UNAUTHENTICATED", Ops.Vms, new { app = (string?)null, terminated = (bool?)null, all = (bool?)null });

        var admin = new ServiceScenario(app, await app.Admin());
        var everyone = (await admin.Vms(all: true)).Select(v => v.Str("id")).ToHashSet();
        Assert.Superset(annService.LiveNodes().Select(n => n.Str("id")).Concat(bobService.LiveNodes().Select(n => n.Str("id"))).ToHashSet(), everyone);
        // Without all: true an administrator lists his own, like anyone.
        Assert.Empty(await admin.Vms());
    }

    [Fact]
    public async Task an_administrator_reads_and_acts_on_anyones_service_and_other_users_cannot()
    {
        var ann = await User();
        var appId = await ann.NewApplicationId();
        var id = (await ann.AddService(appId)).Str("id");
        var admin = new ServiceScenario(app, await app.Admin());
        var bob = await User();

        Assert.Equal(id, (await admin.Service(id)).Str("id"));
        Assert.Equal("PROLOGUE", (await admin.Start(id)).Str("state"));
        Assert.Equal("RUNNING", (await admin.BootAll(id)).Str("state"));
        Assert.Equal(2, (await admin.AddNodes(id, 1)).Desired("node"));
        await admin.BootAll(id);
        Assert.Equal(1, (await admin.RemoveNodes(id, 1)).Desired("node"));
        await admin.TerminateAll(id);
        Assert.Equal("renamed by admin", (await admin.Client.Ok(Ops.RenameService, new { id, name = "renamed by admin", v = (int?)null }))["renameService"]!.Str("name"));

        var before = await ann.StreamVersion(id);
        await bob.Client.Fails("NOT_FOUND", Ops.Service, new { id });
        await bob.Client.Fails("NOT_FOUND", Ops.StopService, new { id });
        await bob.Client.Fails("NOT_FOUND", Ops.RenameService, new { id, name = "mine", v = (int?)null });
        await bob.Client.Fails("NOT_FOUND", Ops.AddNodes, new { id, nodes = Ops.Nodes(1), v = (int?)null });
        await bob.Client.Fails("NOT_FOUND", Ops.RemoveService, new { id });
        Assert.Equal(before, await ann.StreamVersion(id));

        Assert.Equal("EPILOGUE", (await admin.Stop(id)).Str("state"));
        await admin.TerminateAll(id);
        Assert.Equal("STOPPED", (await ann.Service(id)).Str("state"));

        // The administrator's changes are his, in the service's history.
        await using var session = app.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var events = await session.Events.FetchStreamAsync(Guid.Parse(id), token: Ct);
        Assert.Contains(events, e => e.EventTypeName == "service_start_requested" && e.UserName == "admin");
        Assert.Contains(events, e => e.EventTypeName == "node_ready" && e.UserName == VmOutcomeRecorder.Actor);
    }

    [Fact]
    public async Task every_vm_name_is_unique_and_deterministic_for_its_service()
    {
        var user = await User();
        var appId = await user.NewApplicationId();
        await user.AddService(appId, "php");
        var id = (await user.AddService(appId, "java")).Str("id");
        var started = await user.Start(id);
        var names = started.LiveNodes().Select(n => n.Str("name")).ToList();
        Assert.All(names, n => Assert.Matches("^conpaas-u[0-9a-f]{8}-a[0-9a-f]{8}-s2-java-[12]$", n));
        Assert.Equal(names[0][..^1], names[1][..^1]);
        Assert.Contains(appId.Replace("-", "")[^8..], names[0]);
    }
}
