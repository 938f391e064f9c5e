using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class VmOutcomeTests
{
    [Fact]
    public void when_every_node_is_ready_the_service_is_running()
    {
        var s = ServiceScenario.Started();

        var first = s.Ready(s.VmId(1));
        var last = s.Ready(s.VmId(2));

        Assert.Equal(["NodeReady"], first.EventNames());
        Assert.Equal(["NodeReady", "ServiceRunning"], last.EventNames());
        Assert.Equal(new NodeReady(s.VmId(2), "127.0.0.1:20002"), last.Single<NodeReady>());
        Assert.Equal([new VmReady("127.0.0.1:20002")], last.To(s.VmId(2)));
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.All(s.Service.Nodes, n => Assert.Equal(NodeStatus.Ready, n.Status));
        Assert.All(s.Vms.Values, v => Assert.Equal(VmState.RUNNING, v.State));
        Assert.Equal("127.0.0.1:20001", s.Node(1).Address);
    }

    [Fact]
    public void when_one_of_two_nodes_is_ready_the_service_is_still_in_prologue()
    {
        var s = ServiceScenario.Started();

        s.Ready(s.VmId(2));

        Assert.Equal(ServiceState.PROLOGUE, s.Service.State);
        Assert.Equal(NodeStatus.Requested, s.Node(1).Status);
        Assert.Equal(NodeStatus.Ready, s.Node(2).Status);
    }

    [Fact]
    public void when_the_same_vm_is_reported_ready_twice_the_second_report_changes_nothing()
    {
        var s = ServiceScenario.Started();
        s.Ready(s.VmId(1));

        VmOutcomes.Ready(s.Service, s.Vms[s.VmId(1)], "127.0.0.1:9").AssertNothing();
    }

    [Fact]
    public void provisioning_and_creation_only_ever_move_the_vm_forward()
    {
        var s = ServiceScenario.Started();
        var vm = s.Vms[s.VmId(1)];

        var provisioning = s.Then(VmOutcomes.Provisioning(vm));
        var created = s.Then(VmOutcomes.Created(vm, "i-0001", "127.0.0.1:20001"));

        Assert.Empty(provisioning.Events);
        Assert.Equal([new VmProvisioning()], provisioning.To(vm.Id));
        Assert.Equal([new VmCreated("i-0001", "127.0.0.1:20001")], created.To(vm.Id));
        Assert.Equal(VmState.BOOTING, vm.State);
        Assert.Equal("i-0001", vm.ProviderId);
        VmOutcomes.Provisioning(vm).AssertNothing();
        VmOutcomes.Created(vm, "i-0002", null).AssertNothing();

        s.Ready(vm.Id);
        Assert.Equal(VmState.RUNNING, vm.State);
        VmOutcomes.Created(vm, "i-0003", null).AssertNothing();
    }

    [Fact]
    public void when_a_vm_fails_during_prologue_the_service_is_in_error_naming_the_vm_and_every_other_vm_is_released()
    {
        var s = ServiceScenario.Started("php");
        s.Ready(s.VmId(1));
        var failing = s.VmId(2);

        var decision = s.Failed(failing, "did not become ready within 300 s");

        Assert.Equal(["ServiceFailed"], decision.EventNames());
        var reason = decision.Single<ServiceFailed>().Reason;
        Assert.Contains(VmName("php", 2), reason);
        Assert.Contains("did not become ready within 300 s", reason);
        Assert.Equal([new VmFailed("did not become ready within 300 s"), new VmTerminationRequested("did not become ready within 300 s")],
            decision.To(failing));
        Assert.Equal([typeof(VmTerminationRequested)], decision.To(s.VmId(1)).Select(e => e.GetType()));
        Assert.Equal(ServiceState.ERROR, s.Service.State);
        Assert.Equal(reason, s.Service.StateReason);
        Assert.Equal(VmState.FAILED, s.Vms[failing].State);
        Assert.Equal(VmState.TERMINATING, s.Vms[s.VmId(1)].State);
        Assert.All(s.Service.Nodes, n => Assert.Equal(NodeStatus.Terminating, n.Status));
    }

    [Fact]
    public void after_a_failure_the_terminations_release_the_nodes_and_the_service_stays_in_error()
    {
        var s = ServiceScenario.Started();
        s.Failed(s.VmId(2));

        var manager = s.Terminated(s.VmId(1));
        var failed = s.Terminated(s.VmId(2));

        Assert.Equal(["NodeReleased"], manager.EventNames());
        Assert.Equal([new VmTerminated()], manager.To(s.VmId(1)));
        Assert.Equal(["NodeReleased"], failed.EventNames());
        Assert.Empty(s.Service.Nodes);
        Assert.Equal(ServiceState.ERROR, s.Service.State);
        Assert.Equal(VmState.FAILED, s.Vms[s.VmId(2)].State);
        Assert.True(s.Vms[s.VmId(2)].Released);
        Assert.Empty(s.LiveVms);
    }

    [Fact]
    public void when_a_failure_is_reported_twice_the_second_report_changes_nothing()
    {
        var s = ServiceScenario.Started();
        s.Failed(s.VmId(2));

        VmOutcomes.Failed(s.Service, s.Vms[s.VmId(2)], "again", s.Context).AssertNothing();
    }

    [Fact]
    public void when_a_termination_is_reported_twice_the_second_report_changes_nothing()
    {
        var s = ServiceScenario.Running();
        s.Stop();
        s.Terminated(s.VmId(2));
        var version = s.Service.Version;

        VmOutcomes.Terminated(s.Service, s.Vms[s.VmId(2)]).AssertNothing();
        Assert.Equal(version, s.Service.Version);
        Assert.Equal(ServiceState.EPILOGUE, s.Service.State);
    }

    [Fact]
    public void when_a_service_is_stopped_while_booting_no_vm_is_recorded_running()
    {
        var s = ServiceScenario.Started();

        s.Stop();
        var late = s.Ready(s.VmId(2));

        Assert.Empty(late.Events);
        Assert.DoesNotContain(late.Others, o => o.Event is VmReady);
        Assert.Equal(VmState.TERMINATING, s.Vms[s.VmId(2)].State);
        Assert.Equal(ServiceState.EPILOGUE, s.Service.State);
        s.TerminateAll();
        Assert.Equal(ServiceState.STOPPED, s.Service.State);
        Assert.DoesNotContain(ServiceState.RUNNING, s.States);
        Assert.DoesNotContain(s.Vms.Values, v => v.State == VmState.RUNNING);
    }

    [Fact]
    public void when_a_vm_that_has_not_yet_seen_the_stop_becomes_ready_it_is_terminated_instead()
    {
        // The readiness poll read the VM before the stop's termination intent reached it.
        var s = ServiceScenario.Started();
        var vm = s.Vms[s.VmId(2)];
        var request = new VmRequested(vm.Id, vm.ServiceId, vm.ApplicationId, vm.OwnerId, vm.Name, vm.Cloud, vm.Role, vm.ServiceRole,
            vm.ServiceType, vm.VpnAddress, vm.CreatedAt);
        s.Stop();
        var stale = GivenVm(request, new VmProvisioning(), new VmCreated("i-2", null));

        var decision = VmOutcomes.Ready(s.Service, stale, "127.0.0.1:20002");

        Assert.Empty(decision.Events);
        var only = Assert.Single(decision.Others);
        Assert.Equal(stale.Id, only.StreamId);
        Assert.IsType<VmTerminationRequested>(only.Event);
    }

    [Fact]
    public void when_a_service_is_stopped_in_prologue_it_is_stopped_after_the_last_vm_is_terminated()
    {
        var s = ServiceScenario.Started();
        s.Ready(s.VmId(1));

        var stop = s.Stop();
        var first = s.Terminated(s.VmId(1));
        var last = s.Terminated(s.VmId(2));

        Assert.Equal(["ServiceStopRequested"], stop.EventNames());
        Assert.Equal(2, stop.OthersOf<VmTerminationRequested>().Count);
        Assert.Equal(["NodeReleased"], first.EventNames());
        Assert.Equal(["NodeReleased", "ServiceStopped"], last.EventNames());
        Assert.Equal([ServiceState.INIT, ServiceState.PROLOGUE, ServiceState.EPILOGUE, ServiceState.STOPPED], s.States);
        Assert.Equal("node=0", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_a_vm_fails_while_its_service_is_stopping_only_the_vm_is_marked_and_the_service_keeps_stopping()
    {
        var s = ServiceScenario.Started();
        s.Stop();

        var decision = s.Failed(s.VmId(2), "boot timeout");

        Assert.Empty(decision.Events);
        Assert.Equal(ServiceState.EPILOGUE, s.Service.State);
        Assert.Equal(VmState.FAILED, s.Vms[s.VmId(2)].State);
        s.TerminateAll();
        Assert.Equal(ServiceState.STOPPED, s.Service.State);
    }

    [Fact]
    public void when_a_new_vm_fails_while_nodes_are_added_the_running_nodes_stay_and_the_service_returns_to_running_saying_why()
    {
        var s = ServiceScenario.Running();
        var running = s.LiveVms.Select(v => v.Id).ToList();
        s.AddNodes(new NodeCount(null, 2, null));
        var failing = s.VmId(3);

        var decision = s.Failed(failing, "did not become ready within 300 s");

        Assert.Equal(["NodeFailed"], decision.EventNames());
        Assert.Equal([new VmFailed("did not become ready within 300 s"), new VmTerminationRequested("did not become ready within 300 s")],
            decision.To(failing));
        Assert.All(running, id => Assert.Empty(decision.To(id)));
        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
        s.Ready(s.VmId(4));
        Assert.Equal(ServiceState.ADAPTING, s.Service.State); // until the failed VM is gone
        s.TerminateAll();
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.DoesNotContain(ServiceState.ERROR, s.States);
        Assert.All(running.Append(s.VmId(4)), id => Assert.Equal(VmState.RUNNING, s.Vms[id].State));
        Assert.Equal(VmState.FAILED, s.Vms[failing].State);
        Assert.Equal(3, s.Service.Nodes.Count);
        // The user asked for two more and got one: the desired count says what the service holds.
        Assert.Equal(2, s.Service.DesiredCounts["node"]);
        Assert.Equal($"VM {s.Vms[failing].Name} failed: did not become ready within 300 s", s.Service.StateReason);
    }

    [Fact]
    public void when_every_new_vm_fails_the_service_runs_on_with_what_it_had()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 2, null));

        s.Failed(s.VmId(3), "quota exceeded");
        s.Failed(s.VmId(4), "quota exceeded");
        s.TerminateAll();

        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Equal(2, s.Service.Nodes.Count);
        Assert.Equal(1, s.Service.DesiredCounts["node"]);
        Assert.Contains("quota exceeded", s.Service.StateReason);
    }

    [Fact]
    public void the_next_adaptation_clears_the_reason_a_node_was_given_up()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 1, null));
        s.Failed(s.VmId(3), "quota exceeded");
        s.TerminateAll();
        Assert.NotNull(s.Service.StateReason);

        s.AddNodes(new NodeCount(null, 1, null));
        Assert.Null(s.Service.StateReason);
        s.ReadyAll();

        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Null(s.Service.StateReason);
        Assert.Equal(2, s.Service.DesiredCounts["node"]);
    }

    [Fact]
    public void when_a_replacement_fails_the_service_runs_on_without_it()
    {
        var s = ServiceScenario.Running();
        var agent = s.VmId(2);
        s.Lost(agent);
        var replacement = Assert.Single(s.Service.Nodes, n => n.Status == NodeStatus.Requested).VmId;

        s.Failed(replacement, "quota exceeded");
        s.TerminateAll();

        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Equal(0, s.Service.DesiredCounts["node"]);
        Assert.Contains("quota exceeded", s.Service.StateReason);
    }

    [Fact]
    public void a_vm_the_service_does_not_know_is_still_recorded_terminated()
    {
        var s = ServiceScenario.Running();
        var stranger = GivenVm(new VmRequested(Guid.NewGuid(), ServiceId, AppId, OwnerId, "conpaas-x", "default",
            VmRole.AGENT, "node", "helloworld", "172.16.0.99", Now));
        s.Vms[stranger.Id] = stranger;

        var decision = s.Terminated(stranger.Id);

        Assert.Empty(decision.Events);
        Assert.Equal([new VmTerminated()], decision.To(stranger.Id));
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
    }
}
