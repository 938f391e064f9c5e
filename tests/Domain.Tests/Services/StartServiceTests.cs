using System.Text.RegularExpressions;
using Conpaas.Domain.Catalogue;
using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Conpaas.Domain.Vpn;
using Xunit;
using static Conpaas.Domain.Tests.Services.ServiceTestKit;

namespace Conpaas.Domain.Tests.Services;

public class StartServiceTests
{
    [Fact]
    public void when_a_helloworld_service_is_started_the_manager_and_one_node_are_requested_in_prologue()
    {
        var s = ServiceScenario.Added("helloworld");

        var decision = s.Start();

        Assert.Equal(["ServiceStartRequested", "NodesRequested"], decision.EventNames());
        var start = decision.Single<ServiceStartRequested>();
        Assert.Equal("default", start.Cloud);
        Assert.Equal("node=1", Counts(start.DesiredCounts));
        var requested = decision.Single<NodesRequested>();
        Assert.Equal(NodeRequestReason.Start, requested.Reason);
        Assert.Collection(requested.Nodes,
            manager =>
            {
                Assert.Equal(VmRole.MANAGER, manager.Role);
                Assert.Null(manager.ServiceRole);
                Assert.Equal(1, manager.Number);
                Assert.Equal("conpaas-ua11ce000-aabcdef12-s1-helloworld-1", manager.Name);
                Assert.Equal("172.16.0.1", manager.VpnAddress);
                Assert.Equal("default", manager.Cloud);
            },
            node =>
            {
                Assert.Equal(VmRole.AGENT, node.Role);
                Assert.Equal("node", node.ServiceRole);
                Assert.Equal(2, node.Number);
                Assert.Equal("conpaas-ua11ce000-aabcdef12-s1-helloworld-2", node.Name);
                Assert.Equal("172.16.0.2", node.VpnAddress);
                Assert.Equal("default", node.Cloud);
            });
        Assert.Equal(ServiceState.PROLOGUE, s.Service.State);
        Assert.Equal("default", s.Service.Cloud);
        Assert.Equal(2, s.Service.LastNodeNumber);
        Assert.All(s.Service.Nodes, n => Assert.Equal(NodeStatus.Requested, n.Status));
    }

    [Fact]
    public void when_a_service_is_started_each_node_starts_a_vm_stream_with_its_intent()
    {
        var s = ServiceScenario.Added("helloworld");

        var decision = s.Start();

        var nodes = decision.Single<NodesRequested>().Nodes;
        Assert.Equal(nodes.Select(n => n.VmId), decision.Others.Select(o => o.StreamId));
        foreach (var node in nodes)
        {
            var vm = Assert.IsType<VmRequested>(Assert.Single(decision.To(node.VmId)));
            Assert.Equal(
                new VmRequested(node.VmId, ServiceId, AppId, OwnerId, node.Name, "default", node.Role, node.ServiceRole,
                    "helloworld", node.VpnAddress, Now),
                vm);
            Assert.Equal(VmState.REQUESTED, s.Vms[node.VmId].State);
        }
    }

    [Fact]
    public void vm_ids_come_from_the_context_and_names_follow_the_conpaas_pattern()
    {
        var s = ServiceScenario.Added("php");

        var nodes = s.Start().Single<NodesRequested>().Nodes;

        Assert.Equal(Guid.Parse("00000000-0000-7000-9000-000000000001"), nodes[0].VmId);
        Assert.Equal(Guid.Parse("00000000-0000-7000-9000-000000000002"), nodes[1].VmId);
        Assert.All(nodes, n => Assert.Matches(new Regex("^conpaas-u[0-9a-f]{8}-a[0-9a-f]{8}-s1-php-[0-9]+$"), n.Name));
    }

    [Theory]
    [InlineData("php", "backend", "backend=1, proxy=0, web=0")]
    [InlineData("java", "backend", "backend=1, proxy=0, web=0")]
    [InlineData("mysql", "mysql", "glb=0, mysql=1")]
    [InlineData("xtreemfs", "osd", "osd=1")]
    [InlineData("generic", "master", "master=1, node=0")]
    [InlineData("helloworld", "node", "node=1")]
    public void when_a_service_is_started_the_manager_comes_first_then_the_types_initial_agents(string type, string initialRole, string counts)
    {
        var s = ServiceScenario.Added(type);

        var decision = s.Start();

        var nodes = decision.Single<NodesRequested>().Nodes;
        Assert.Equal([VmRole.MANAGER, VmRole.AGENT], nodes.Select(n => n.Role));
        Assert.Equal([null, initialRole], nodes.Select(n => n.ServiceRole));
        Assert.Equal(["172.16.0.1", "172.16.0.2"], nodes.Select(n => n.VpnAddress));
        Assert.Equal([$"{NamePrefix}-s1-{type}-1", $"{NamePrefix}-s1-{type}-2"], nodes.Select(n => n.Name));
        Assert.Equal(counts, Counts(decision.Single<ServiceStartRequested>().DesiredCounts));
        Assert.Equal(counts, Counts(s.Service.DesiredCounts));
        Assert.Equal(counts, Counts(ServiceTypes.Find(type)!.InitialCounts));
    }

    [Fact]
    public void when_the_second_service_is_started_its_vms_take_addresses_inside_its_own_subnet()
    {
        var s = new ServiceScenario(Added(sid: 2, subnet: "172.16.128.0/17"));

        var nodes = s.Start().Single<NodesRequested>().Nodes;

        Assert.Equal(["172.16.128.1", "172.16.128.2"], nodes.Select(n => n.VpnAddress));
        Assert.Equal([VmName("helloworld", 1, sid: 2), VmName("helloworld", 2, sid: 2)], nodes.Select(n => n.Name));
    }

    [Fact]
    public void when_no_vpn_is_configured_the_vms_get_no_vpn_address()
    {
        var s = new ServiceScenario(Added(subnet: null));

        var nodes = s.Start().Single<NodesRequested>().Nodes;

        Assert.Equal(VpnPlan.Disabled, s.Vpn);
        Assert.All(nodes, n => Assert.Null(n.VpnAddress));
        Assert.All(s.Vms.Values, v => Assert.Null(v.VpnAddress));
    }

    [Fact]
    public void when_a_named_cloud_is_chosen_every_vm_of_the_start_goes_there()
    {
        var s = ServiceScenario.Added("php");

        var decision = s.Start(" other ");

        Assert.Equal("other", decision.Single<ServiceStartRequested>().Cloud);
        Assert.All(decision.Single<NodesRequested>().Nodes, n => Assert.Equal("other", n.Cloud));
        Assert.All(s.Vms.Values, v => Assert.Equal("other", v.Cloud));
        Assert.Equal("other", s.Service.Cloud);
    }

    [Theory]
    [InlineData(ServiceState.PROLOGUE)]
    [InlineData(ServiceState.RUNNING)]
    [InlineData(ServiceState.ADAPTING)]
    [InlineData(ServiceState.EPILOGUE)]
    [InlineData(ServiceState.ERROR)]
    public void when_the_service_is_not_init_or_stopped_starting_is_refused_with_the_conpaas_message(ServiceState state)
    {
        var s = ServiceScenarios.In(state);

        var error = StartService.Decide(s.Service, null, s.Context).Refused(ErrorCode.CONFLICT);

        Assert.Equal($"Wrong service state: was expecting one of [INIT, STOPPED] but current state is '{state}'", error.Message);
    }

    [Fact]
    public void when_a_running_service_is_started_again_the_message_is_the_conpaas_one()
    {
        var s = ServiceScenario.Running();

        var error = StartService.Decide(s.Service, null, s.Context).Refused(ErrorCode.CONFLICT);

        Assert.Equal("Wrong service state: was expecting one of [INIT, STOPPED] but current state is 'RUNNING'", error.Message);
    }

    [Fact]
    public void when_the_cloud_is_unknown_starting_is_refused_listing_the_available_clouds()
    {
        var s = ServiceScenario.Added();

        var error = StartService.Decide(s.Service, "nimbus", s.Context).Refused(ErrorCode.UNKNOWN_CLOUD);

        Assert.Equal("Unknown cloud: nimbus. Available clouds: [default, ec2-eu, other]", error.Message);
        Assert.Equal("cloud", error.Field);
        Assert.Equal(["default", "ec2-eu", "other"], Assert.IsType<string[]>(error.Extensions["available"]));
        Assert.Equal(ServiceState.INIT, s.Service.State);
    }

    [Fact]
    public void when_the_cloud_is_misconfigured_starting_is_refused_naming_the_problem()
    {
        var s = ServiceScenario.Added();

        var error = StartService.Decide(s.Service, "ec2-eu", s.Context).Refused(ErrorCode.INVALID_INPUT);

        Assert.Equal("cloud", error.Field);
        Assert.Contains("ec2-eu", error.Message);
        Assert.Contains(Ec2Problem, error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void when_the_owner_has_no_credit_starting_is_refused_and_no_vm_is_requested(int credit)
    {
        var s = ServiceScenario.Added();
        s.Credit = credit;

        var error = StartService.Decide(s.Service, null, s.Context).Refused(ErrorCode.INSUFFICIENT_CREDIT);

        Assert.Equal("Insufficient credits", error.Message);
        Assert.Empty(s.Vms);
    }

    [Fact]
    public void with_one_credit_left_a_start_is_accepted()
    {
        var s = ServiceScenario.Added();
        s.Credit = 1;

        s.Start();

        Assert.Equal(ServiceState.PROLOGUE, s.Service.State);
    }

    [Fact]
    public void when_the_service_subnet_cannot_hold_the_start_it_is_refused_as_vpn_exhausted_with_no_vm()
    {
        // 10.0.0.0/30 with 1 service bit: /31 service subnets of a single VM, but a start needs two.
        var s = new ServiceScenario(Added(subnet: "10.0.0.2/31"))
        {
            Vpn = VpnPlan.Create(new VpnSettings("10.0.0.0", "/30", 1)),
        };

        var error = StartService.Decide(s.Service, null, s.Context).Refused(ErrorCode.VPN_EXHAUSTED);

        Assert.Equal("VPN address space exhausted: service subnet 10.0.0.2/31 holds 1 VM address and all are in use", error.Message);
    }

    [Fact]
    public void when_a_stopped_service_is_started_again_it_reuses_the_addresses_but_never_the_names()
    {
        var s = ServiceScenario.Running();
        s.Stop();
        s.TerminateAll();
        Assert.Equal(ServiceState.STOPPED, s.Service.State);

        var decision = s.Start();

        var nodes = decision.Single<NodesRequested>().Nodes;
        Assert.Equal(ServiceState.PROLOGUE, s.Service.State);
        Assert.Equal(["172.16.0.1", "172.16.0.2"], nodes.Select(n => n.VpnAddress));
        Assert.Equal([3, 4], nodes.Select(n => n.Number));
        Assert.Equal([VmName("helloworld", 3), VmName("helloworld", 4)], nodes.Select(n => n.Name));
        Assert.Equal("node=1", Counts(s.Service.DesiredCounts));
        Assert.Equal(4, s.Vms.Count);
        Assert.Equal(4, s.Vms.Values.Select(v => v.Name).Distinct().Count());
    }

    [Fact]
    public void node_numbers_keep_growing_across_restarts_and_scaling()
    {
        var s = ServiceScenario.Running();
        s.AddNodes(new NodeCount(null, 2, null));
        s.ReadyAll();
        s.Stop();
        s.TerminateAll();
        s.Start("other");
        s.ReadyAll();
        s.Stop();
        s.TerminateAll();

        s.Start();

        Assert.Equal([7, 8], s.Service.Nodes.Select(n => n.Number));
        Assert.Equal(Enumerable.Range(1, 8), s.Vms.Values.Select(v => s.NumberOf(v.Id)).Order());
        Assert.Equal(8, s.Vms.Values.Select(v => v.Name).Distinct().Count());
    }

    [Fact]
    public void when_a_service_is_being_removed_it_cannot_be_started()
    {
        var s = new ServiceScenario(Added(), new Conpaas.Domain.Services.ServiceRemovalRequested());

        var error = StartService.Decide(s.Service, null, s.Context).Refused(ErrorCode.CONFLICT);

        Assert.Equal("The service is being removed", error.Message);
    }
}

/// <summary>Services brought into each state through the decisions themselves.</summary>
internal static class ServiceScenarios
{
    public static ServiceScenario In(ServiceState state, string type = "helloworld")
    {
        ServiceScenario s;
        switch (state)
        {
            case ServiceState.INIT:
                s = ServiceScenario.Added(type);
                break;
            case ServiceState.PROLOGUE:
                s = ServiceScenario.Started(type);
                break;
            case ServiceState.RUNNING:
                s = ServiceScenario.Running(type);
                break;
            case ServiceState.ADAPTING:
                s = ServiceScenario.Running(type);
                s.AddNodes(new NodeCount(null, 1, null));
                break;
            case ServiceState.EPILOGUE:
                s = ServiceScenario.Running(type);
                s.Stop();
                break;
            case ServiceState.STOPPED:
                s = ServiceScenario.Running(type);
                s.Stop();
                s.TerminateAll();
                break;
            case ServiceState.ERROR:
                s = ServiceScenario.Started(type);
                s.Failed(s.Service.Nodes[^1].VmId);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(state));
        }

        Assert.Equal(state, s.Service.State);
        return s;
    }
}
