using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class RemoveNodesTests
{
    private static Decision Decide(ServiceScenario s, params NodeCount[] nodes) => RemoveNodes.Decide(s.Service, nodes, null, s.Clouds);

    /// <summary>helloworld running with its manager (#1), its initial node (#2) and two added nodes (#3, #4).</summary>
    private static ServiceScenario RunningWithFourVms()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 2, null));
        s.ReadyAll();
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        return s;
    }

    [Fact]
    public void when_a_node_is_removed_the_newest_agent_goes_and_the_service_adapts_until_it_is_terminated()
    {
        var s = RunningWithFourVms();

        var decision = s.RemoveNodes(new NodeCount(null, 1, null));

        Assert.Equal([s.VmId(4)], decision.Single<NodesRemovalRequested>().VmIds);
        Assert.Equal([new VmTerminationRequested("removed by removeNodes")], decision.To(s.VmId(4)));
        Assert.Single(decision.Others);
        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
        Assert.Equal("node=2", Counts(s.Service.DesiredCounts));
        Assert.Equal(NodeStatus.Terminating, s.Node(4).Status);

        var terminated = s.Terminated(s.VmId(4));

        Assert.Equal(["NodeReleased", "ServiceRunning"], terminated.EventNames());
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Equal([1, 2, 3], s.Service.Nodes.Select(n => n.Number));
        Assert.Equal("node=2", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_two_nodes_are_removed_the_service_is_running_only_after_both_are_terminated()
    {
        var s = RunningWithFourVms();

        s.RemoveNodes(new NodeCount("node", 2, null));
        var first = s.Terminated(s.VmId(3));

        Assert.Equal(["NodeReleased"], first.EventNames());
        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
        Assert.Equal(["NodeReleased", "ServiceRunning"], s.Terminated(s.VmId(4)).EventNames());
        Assert.Equal("node=1", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_more_nodes_are_asked_than_can_go_it_is_refused_and_helloworld_keeps_its_initial_node()
    {
        var s = RunningWithFourVms();

        var error = Decide(s, new NodeCount(null, 3, null)).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("Requesting to delete 3 nodes while only 2 can be removed", error.Message);
        Assert.Equal("count", error.Field);
    }

    [Fact]
    public void when_only_the_initial_node_is_left_it_cannot_be_removed()
    {
        var s = ServiceScenario.Running();

        var error = Decide(s, new NodeCount(null, 1, null)).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("Requesting to delete 1 nodes while only 0 can be removed", error.Message);
    }

    [Fact]
    public void counts_for_the_same_role_are_summed_before_checking()
    {
        var s = RunningWithFourVms();

        var error = Decide(s, new NodeCount(null, 2, null), new NodeCount("node", 1, null)).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("Requesting to delete 3 nodes while only 2 can be removed", error.Message);
    }

    [Fact]
    public void the_manager_is_never_removed()
    {
        var s = RunningWithFourVms();

        s.RemoveNodes(new NodeCount(null, 2, null));
        s.TerminateAll();

        Assert.Equal([VmRole.MANAGER, VmRole.AGENT], s.Service.Nodes.Select(n => n.Role));
        Assert.Equal([1, 2], s.Service.Nodes.Select(n => n.Number));
    }

    [Fact]
    public void php_removes_per_role_and_a_role_that_starts_empty_can_be_emptied()
    {
        var s = ServiceScenario.Running("php");
        s.AddNodes(new NodeCount("web", 2, null), new NodeCount("backend", 1, null));
        s.ReadyAll();

        var decision = s.RemoveNodes(new NodeCount("web", 2, null), new NodeCount(null, 1, null));

        var removed = decision.Single<NodesRemovalRequested>().VmIds.Select(id => s.Vms[id].ServiceRole).Order();
        Assert.Equal(["backend", "web", "web"], removed);
        Assert.Equal("backend=1, proxy=0, web=0", Counts(s.Service.DesiredCounts));
        s.TerminateAll();
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Equal([null, "backend"], s.Service.Nodes.Select(n => n.ServiceRole));
    }

    [Theory]
    [InlineData(ServiceState.INIT)]
    [InlineData(ServiceState.PROLOGUE)]
    [InlineData(ServiceState.ADAPTING)]
    [InlineData(ServiceState.EPILOGUE)]
    [InlineData(ServiceState.STOPPED)]
    [InlineData(ServiceState.ERROR)]
    public void when_the_service_is_not_running_removing_nodes_is_refused_with_the_conpaas_message(ServiceState state)
    {
        var s = ServiceScenarios.In(state);

        var error = Decide(s, new NodeCount(null, 1, null)).Refused(ErrorCode.CONFLICT);

        Assert.Equal($"Wrong service state: was expecting one of [RUNNING] but current state is '{state}'", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void when_a_count_is_not_positive_removing_is_refused_with_the_conpaas_message(int count)
    {
        var s = RunningWithFourVms();

        var error = Decide(s, new NodeCount(null, count, null)).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal($"Invalid number of nodes {count}", error.Message);
    }

    [Fact]
    public void when_the_role_is_unknown_removing_is_refused_with_the_conpaas_message()
    {
        var s = RunningWithFourVms();

        var error = Decide(s, new NodeCount("x", 1, null)).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("Wrong node type 'x' for service type 'helloworld'.", error.Message);
    }

    [Fact]
    public void when_no_count_is_given_removing_is_refused_as_invalid_input()
    {
        var s = RunningWithFourVms();

        Assert.Equal("nodes", Decide(s).Refused(ErrorCode.INVALID_INPUT).Field);
    }

    [Fact]
    public void when_the_expected_version_is_stale_removing_is_refused_with_the_current_version()
    {
        var s = RunningWithFourVms();
        var current = s.Service.Version;

        var error = RemoveNodes.Decide(s.Service, [new NodeCount(null, 1, null)], 3, s.Clouds).Refused(ErrorCode.VERSION_CONFLICT);

        Assert.Equal((long)current, error.Extensions["currentVersion"]);
        s.Then(RemoveNodes.Decide(s.Service, [new NodeCount(null, 1, null)], current, s.Clouds));
        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
    }

    [Fact]
    public void released_addresses_are_handed_out_again_by_the_next_add_nodes()
    {
        var s = RunningWithFourVms();
        s.RemoveNodes(new NodeCount(null, 2, null));
        s.TerminateAll();

        var nodes = s.AddNodes(new NodeCount(null, 3, null)).Single<NodesRequested>().Nodes;

        Assert.Equal(["172.16.0.3", "172.16.0.4", "172.16.0.5"], nodes.Select(n => n.VpnAddress));
        Assert.Equal([5, 6, 7], nodes.Select(n => n.Number));
    }

    [Fact]
    public void when_nodes_are_removed_from_a_named_cloud_the_ones_on_that_cloud_go()
    {
        // nodeCounts' cloud means "on that cloud" for removeNodes as for addNodes (api.graphql NodeCountInput.cloud).
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 1, "other"));
        s.ReadyAll();
        s.AddNodes(new NodeCount(null, 1, null));
        s.ReadyAll();
        Assert.Equal("other", s.VmNo(3).Cloud);
        Assert.Equal("default", s.VmNo(4).Cloud);

        var decision = s.RemoveNodes(new NodeCount(null, 1, "other"));

        Assert.Equal([s.VmId(3)], decision.Single<NodesRemovalRequested>().VmIds);
    }
}
