using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Conpaas.Domain.Vpn;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class AddNodesTests
{
    private static Decision Decide(ServiceScenario s, params NodeCount[] nodes) => AddNodes.Decide(s.Service, nodes, null, s.Context);

    [Fact]
    public void when_two_nodes_are_added_the_service_adapts_with_two_new_vms_on_fresh_addresses()
    {
        var s = ServiceScenario.Running();

        var decision = s.AddNodes(new NodeCount(null, 2, null));

        var requested = decision.Single<NodesRequested>();
        Assert.Equal(NodeRequestReason.Scale, requested.Reason);
        Assert.Equal([3, 4], requested.Nodes.Select(n => n.Number));
        Assert.Equal(["172.16.0.3", "172.16.0.4"], requested.Nodes.Select(n => n.VpnAddress));
        Assert.Equal([VmName("helloworld", 3), VmName("helloworld", 4)], requested.Nodes.Select(n => n.Name));
        Assert.All(requested.Nodes, n => Assert.Equal((VmRole.AGENT, "node", "default"), (n.Role, n.ServiceRole, n.Cloud)));
        Assert.Equal(2, decision.OthersOf<VmRequested>().Count);
        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
        Assert.Equal("node=3", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_the_added_nodes_are_all_ready_the_service_is_running_again()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount("node", 2, null));

        var first = s.Ready(s.VmId(4));
        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
        var second = s.Ready(s.VmId(3));

        Assert.Equal(["NodeReady"], first.EventNames());
        Assert.Equal(["NodeReady", "ServiceRunning"], second.EventNames());
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
        Assert.Equal(4, s.Service.Nodes.Count);
        Assert.Equal([ServiceState.INIT, ServiceState.PROLOGUE, ServiceState.RUNNING, ServiceState.ADAPTING, ServiceState.RUNNING], s.States);
    }

    [Theory]
    [InlineData(ServiceState.INIT)]
    [InlineData(ServiceState.PROLOGUE)]
    [InlineData(ServiceState.ADAPTING)]
    [InlineData(ServiceState.EPILOGUE)]
    [InlineData(ServiceState.STOPPED)]
    [InlineData(ServiceState.ERROR)]
    public void when_the_service_is_not_running_adding_nodes_is_refused_with_the_conpaas_message(ServiceState state)
    {
        var s = ServiceScenarios.In(state);
        var vms = s.Vms.Count;

        var error = Decide(s, new NodeCount(null, 1, null)).Refused(ErrorCode.CONFLICT);

        Assert.Equal($"Wrong service state: was expecting one of [RUNNING] but current state is '{state}'", error.Message);
        Assert.Equal(vms, s.Vms.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-100)]
    public void when_a_count_is_not_positive_it_is_refused_with_the_conpaas_message(int count)
    {
        var s = ServiceScenario.Running();

        var error = Decide(s, new NodeCount(null, count, null)).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal($"Invalid number of nodes {count}", error.Message);
        Assert.Equal("count", error.Field);
    }

    [Fact]
    public void when_one_count_of_several_is_zero_the_whole_request_is_refused()
    {
        var s = ServiceScenario.Running("php");

        var error = Decide(s, new NodeCount("backend", 2, null), new NodeCount("web", 0, null)).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("Invalid number of nodes 0", error.Message);
    }

    [Fact]
    public void when_the_role_is_unknown_it_is_refused_with_the_conpaas_message()
    {
        var s = ServiceScenario.Running();

        var error = Decide(s, new NodeCount("x", 1, null)).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("Wrong node type 'x' for service type 'helloworld'.", error.Message);
        Assert.Equal("role", error.Field);
    }

    [Fact]
    public void when_no_count_is_given_it_is_refused_as_invalid_input()
    {
        var s = ServiceScenario.Running();

        var error = Decide(s).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("nodes", error.Field);
    }

    [Fact]
    public void when_more_than_256_nodes_are_asked_at_once_it_is_refused()
    {
        var s = ServiceScenario.Running();

        var error = Decide(s, new NodeCount(null, 200, null), new NodeCount("node", 57, "other")).Refused(ErrorCode.INVALID_INPUT);

        Assert.Contains("257", error.Message);
        Assert.Equal("count", error.Field);
    }

    [Fact]
    public void when_the_expected_version_is_stale_it_is_refused_with_the_current_version()
    {
        var s = ServiceScenario.Running();
        var current = s.Service.Version;

        var error = AddNodes.Decide(s.Service, [new NodeCount(null, 1, null)], current - 1, s.Context).Refused(ErrorCode.VERSION_CONFLICT);

        Assert.Equal((long)current, error.Extensions["currentVersion"]);
        Assert.Equal($"Version conflict: expected version {current - 1} but current version is {current}", error.Message);
    }

    [Fact]
    public void when_the_expected_version_is_current_nodes_are_added()
    {
        var s = ServiceScenario.Running();

        s.Then(AddNodes.Decide(s.Service, [new NodeCount(null, 1, null)], s.Service.Version, s.Context));

        Assert.Equal(ServiceState.ADAPTING, s.Service.State);
    }

    [Fact]
    public void when_a_cloud_is_named_per_request_the_new_vms_go_there()
    {
        var s = ServiceScenario.Running();

        var decision = s.AddNodes(new NodeCount("node", 1, "other"), new NodeCount("node", 1, null));

        var nodes = decision.Single<NodesRequested>().Nodes;
        Assert.Equal(["other", "default"], nodes.Select(n => n.Cloud));
        Assert.Equal("other", s.Vms[nodes[0].VmId].Cloud);
        Assert.Equal("default", s.Service.Cloud);
        Assert.Equal("node=3", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_the_service_runs_on_another_cloud_nodes_without_a_cloud_go_to_the_services_cloud()
    {
        var s = ServiceScenario.Running(cloud: "other");

        var nodes = s.AddNodes(new NodeCount(null, 1, null)).Single<NodesRequested>().Nodes;

        Assert.Equal("other", Assert.Single(nodes).Cloud);
    }

    [Fact]
    public void when_the_cloud_is_unknown_or_misconfigured_adding_nodes_is_refused()
    {
        var s = ServiceScenario.Running();

        var unknown = Decide(s, new NodeCount(null, 1, "nimbus")).Refused(ErrorCode.UNKNOWN_CLOUD);
        var broken = Decide(s, new NodeCount(null, 1, "ec2-eu")).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal(["default", "ec2-eu", "other"], Assert.IsType<string[]>(unknown.Extensions["available"]));
        Assert.Contains(Ec2Problem, broken.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void when_the_owner_has_no_credit_adding_nodes_is_refused_and_no_vm_is_requested(int credit)
    {
        var s = ServiceScenario.Running();
        s.Credit = credit;

        var error = Decide(s, new NodeCount(null, 1, null)).Refused(ErrorCode.INSUFFICIENT_CREDIT);

        Assert.Equal("Insufficient credits", error.Message);
        Assert.Equal(ServiceState.RUNNING, s.Service.State);
    }

    [Fact]
    public void php_roles_are_counted_separately_and_a_missing_role_means_the_default_one()
    {
        var s = ServiceScenario.Running("php");

        var decision = s.AddNodes(new NodeCount(null, 1, null), new NodeCount("web", 2, null), new NodeCount("proxy", 1, null),
            new NodeCount(" backend ", 1, null));

        Assert.Equal(["backend", "backend", "web", "web", "proxy"], decision.Single<NodesRequested>().Nodes.Select(n => n.ServiceRole));
        Assert.Equal("backend=3, proxy=1, web=2", Counts(s.Service.DesiredCounts));
    }

    [Fact]
    public void when_the_service_subnet_is_full_adding_nodes_is_refused_as_vpn_exhausted()
    {
        // /29 with 1 service bit: /30 service subnets of three VMs (manager, initial node and one more).
        var s = new ServiceScenario(Added(subnet: "10.0.0.4/30")) { Vpn = VpnPlan.Create(new VpnSettings("10.0.0.0", "/29", 1)) };
        s.Start();
        s.ReadyAll();
        s.AddNodes(new NodeCount(null, 1, null));
        s.ReadyAll();

        var error = Decide(s, new NodeCount(null, 1, null)).Refused(ErrorCode.VPN_EXHAUSTED);

        Assert.Equal(["10.0.0.5", "10.0.0.6", "10.0.0.7"], s.Service.Nodes.Select(n => n.VpnAddress));
        Assert.Contains("10.0.0.4/30", error.Message);
    }
}
