using Conpaas.Domain.Clouds;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class LostVmTests
{
    [Fact]
    public void when_a_running_agent_is_lost_a_replacement_with_the_same_role_and_cloud_is_requested()
    {
        var s = ServiceScenario.Running("php");
        var lost = s.VmId(2);

        var decision = s.Lost(lost, "process killed");

        Assert.Equal(["NodeLost", "NodesRequested"], decision.EventNames());
        Assert.Equal(new NodeLost(lost, "process killed"), decision.Single<NodeLost>());
        var requested = decision.Single<NodesRequested>();
        Assert.Equal(NodeRequestReason.Replacement, requested.Reason);
        var replacement = Assert.Single(requested.Nodes);
        Assert.Equal((VmRole.AGENT, "backend", "default", 3), (replacement.Role, replacement.ServiceRole, replacement.Cloud, replacement.Number));
        Assert.Equal("172.16.0.2", replacement.VpnAddress);
        Assert.Equal(VmName("php", 3), replacement.Name);
        Assert.Equal([new VmLost("process killed", ServiceTestKit.Now)], decision.To(lost));
        Assert.IsType<VmRequested>(Assert.Single(decision.To(replacement.VmId)));
        Assert.Equal(VmState.LOST, s.Vms[lost].State);
        Assert.Null(s.Service.Node(lost));
        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
        Assert.Equal("backend=1, proxy=0, web=0", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_the_replacement_is_ready_the_service_is_running_again_with_unchanged_desired_counts()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 1, null));
        s.ReadyAll();
        s.Lost(s.VmId(2));

        var ready = s.Ready(s.VmId(4));

        Assert.Equal(["NodeReady", "ServiceRunning"], ready.EventNames());
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Equal("node=2", Counts(s.Service.DesiredCounts));
        Assert.Equal(2, s.Service.Agents.Count());
        Assert.Equal(["172.16.0.1", "172.16.0.2", "172.16.0.3"], s.Service.Nodes.Select(n => n.VpnAddress).Order());
    }

    [Fact]
    public void when_an_agent_on_another_cloud_is_lost_its_replacement_goes_to_that_cloud()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 1, "other"));
        s.ReadyAll();

        var replacement = s.Lost(s.VmId(3)).Single<NodesRequested>().Nodes.Single();

        Assert.Equal("other", replacement.Cloud);
        Assert.Equal("other", s.Vms[replacement.VmId].Cloud);
    }

    [Fact]
    public void when_the_manager_is_lost_a_new_manager_is_requested()
    {
        var s = ServiceScenario.Running();

        var replacement = s.Lost(s.VmId(1)).Single<NodesRequested>().Nodes.Single();

        Assert.Equal(VmRole.MANAGER, replacement.Role);
        Assert.Null(replacement.ServiceRole);
        Assert.Equal("172.16.0.1", replacement.VpnAddress);
        s.ReadyAll();
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Single(s.Service.Nodes, n => n.Role == VmRole.MANAGER);
    }

    [Fact]
    public void when_a_booting_vm_is_lost_during_prologue_it_is_replaced_and_the_service_runs_once_the_replacement_is_ready()
    {
        var s = ServiceScenario.Started();
        s.Ready(s.VmId(1));

        var decision = s.Lost(s.VmId(2));

        Assert.Equal(["NodeLost", "NodesRequested"], decision.EventNames());
        Assert.Equal(ServiceState.PROLOGUE, s.Service.State);
        s.ReadyAll();
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Equal("node=1", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_a_vm_is_reported_lost_twice_the_second_report_changes_nothing()
    {
        var s = ServiceScenario.Running();
        s.Lost(s.VmId(2));

        VmOutcomes.Lost(s.Service, s.Vms[s.VmId(2)], "again", s.Context).AssertNothing();
    }

    [Fact]
    public void when_a_terminated_vm_is_reported_lost_nothing_changes()
    {
        var s = ServiceScenario.Running();
        s.Stop();
        s.Terminated(s.VmId(2));

        VmOutcomes.Lost(s.Service, s.Vms[s.VmId(2)], "gone", s.Context).AssertNothing();
    }

    [Fact]
    public void when_a_vm_being_removed_is_lost_it_counts_as_removed_and_is_not_replaced()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 1, null));
        s.ReadyAll();
        s.RemoveNodes(new NodeCount(null, 1, null));

        var decision = s.Lost(s.VmId(3));

        Assert.Equal(["NodeLost", "ServiceRunning"], decision.EventNames());
        Assert.Equal("node=1", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_a_vm_of_a_service_in_error_is_lost_it_is_not_replaced()
    {
        var s = ServiceScenarios.In(ServiceState.ERROR);

        var decision = s.Lost(s.VmId(1));

        Assert.Equal(["NodeLost"], decision.EventNames());
        Assert.Equal(ServiceState.ERROR, s.Service.State);
    }

    [Fact]
    public void when_the_lost_vms_cloud_became_misconfigured_the_service_is_in_error_and_the_rest_released()
    {
        var s = ServiceScenario.Running();
        s.Clouds = new CloudDirectory([new CloudInfo("default", "local", true, ["Missing local config param PORT_RANGE"])]);

        var decision = s.Lost(s.VmId(2));

        Assert.Equal(["NodeLost", "ServiceFailed"], decision.EventNames());
        Assert.Contains("PORT_RANGE", s.Service.StateReason);
        Assert.Equal(ServiceState.ERROR, s.Service.State);
        Assert.Equal([typeof(VmTerminationRequested)], decision.To(s.VmId(1)).Select(e => e.GetType()));
        Assert.DoesNotContain(decision.To(s.VmId(2)), e => e is VmTerminationRequested);
    }

    [Fact]
    public void when_a_running_agent_fails_it_is_replaced_like_a_lost_one()
    {
        var s = ServiceScenario.Running();

        var decision = s.Failed(s.VmId(2), "stopped answering");

        Assert.Equal(["NodeFailed", "NodesRequested"], decision.EventNames());
        Assert.Equal(NodeRequestReason.Replacement, decision.Single<NodesRequested>().Reason);
        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
        Assert.Equal(VmState.FAILED, s.Vms[s.VmId(2)].State);
    }

    [Fact]
    public void when_a_running_agent_fails_its_vpn_address_is_not_given_to_another_vm_before_it_is_terminated()
    {
        // A failed VM is only terminated afterwards (architecture §3), so until VmTerminated it may still be on the
        // overlay with its address: no other live VM of the service may hold that address meanwhile.
        var s = ServiceScenario.Running();
        var failed = s.VmId(2);

        s.Failed(failed, "stopped answering");

        Assert.True(s.Vms[failed].IsLive);
        var holders = s.LiveVms.Where(v => v.VpnAddress == "172.16.0.2").Select(v => v.Name).ToList();
        Assert.True(holders.Count == 1, $"172.16.0.2 is held by {holders.Count} live VMs: {string.Join(", ", holders)}");
    }
}
