using Conpaas.Domain.Services;
using Conpaas.Domain.Vms;
using Conpaas.Domain.Vpn;
using Xunit;

namespace Conpaas.Domain.Tests.Services;

/// <summary>
/// Random (seeded) interleavings of scaling, readiness, terminations, losses, stops and restarts on one service:
/// whatever the order, addresses are never shared, every address stays in the service subnet, names never repeat
/// and the service's view of its VMs matches the VMs' own.
/// </summary>
public class ServicePropertyTests
{
    private const int Steps = 600;
    private static readonly string?[] PhpRoles = [null, "backend", "web", "proxy"];

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 40)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void no_two_live_vms_ever_share_a_vpn_address_and_node_numbers_are_unique(int seed)
    {
        var random = new Random(seed);
        var s = ServiceScenario.Running("php");
        var log = new List<string>();

        for (var step = 0; step < Steps; step++)
        {
            var what = Act(s, random, allowFailures: false);
            if (what is not null) log.Add(what);
            CheckInvariants(s, log);
        }

        Settle(s, log);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void the_same_holds_when_booting_vms_fail_and_put_the_service_in_error(int seed)
    {
        var random = new Random(seed);
        var s = ServiceScenario.Running("php");
        var log = new List<string>();

        for (var step = 0; step < Steps; step++)
        {
            var what = Act(s, random, allowFailures: true);
            if (what is not null) log.Add(what);
            CheckInvariants(s, log);
        }

        Settle(s, log);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void with_the_vpn_disabled_the_same_histories_keep_names_unique_and_the_views_consistent(int seed)
    {
        var random = new Random(seed);
        var s = new ServiceScenario(ServiceTestKit.Added("generic", subnet: null));
        s.Start();
        var log = new List<string>();

        for (var step = 0; step < Steps / 2; step++)
        {
            var what = Act(s, random, allowFailures: false, roles: [null, "node", "master"]);
            if (what is not null) log.Add(what);
            CheckInvariants(s, log);
        }

        Settle(s, log);
    }

    /// <summary>One random step; null when the chosen step did not apply to the current state.</summary>
    internal static string? Act(ServiceScenario s, Random random, bool allowFailures, string?[]? roles = null)
    {
        roles ??= PhpRoles;
        var roll = random.Next(100);
        var state = s.Service.State;
        switch (roll)
        {
            case < 20 when state == ServiceState.RUNNING:
            {
                var role = roles[random.Next(roles.Length)];
                var count = random.Next(1, 4);
                var cloud = random.Next(3) == 0 ? "other" : null;
                s.AddNodes(new NodeCount(role, count, cloud));
                return $"add {count} {role ?? "(default)"} on {cloud ?? "(service cloud)"}";
            }
            case < 40 when state == ServiceState.RUNNING:
            {
                // Mostly a role that has agents, so that removals happen rather than being refused (a service whose
                // new agents all failed may have none).
                var present = s.Service.Agents.Select(n => n.ServiceRole).Distinct().ToList();
                var role = random.Next(4) > 0 && present.Count > 0 ? present[random.Next(present.Count)] : roles[random.Next(roles.Length)];
                var count = random.Next(1, 3);
                var decision = RemoveNodes.Decide(s.Service, [new NodeCount(role, count, null)], null, s.Clouds);
                if (decision.IsRefused)
                {
                    Assert.Equal(ErrorCode.INVALID_INPUT, decision.Error!.Code);
                    return null;
                }
                s.Then(decision);
                return $"remove {count} {role ?? "(default)"}";
            }
            case < 62:
            {
                var booting = Pick(s.Vms.Values.Where(v => v.State is VmState.REQUESTED or VmState.PROVISIONING or VmState.BOOTING), random);
                if (booting is null) return null;
                if (random.Next(2) == 0) s.Then(VmOutcomes.Created(booting, $"i-{booting.Id:N}", null));
                s.Ready(booting.Id);
                return $"ready #{s.NumberOf(booting.Id)}";
            }
            case < 80:
            {
                var terminating = Pick(s.Vms.Values.Where(v => v.IsLive && v.State is VmState.TERMINATING or VmState.FAILED), random);
                if (terminating is null) return null;
                s.Terminated(terminating.Id);
                return $"terminated #{s.NumberOf(terminating.Id)}";
            }
            case < 88:
            {
                var victim = Pick(s.LiveVms, random);
                if (victim is null) return null;
                s.Lost(victim.Id);
                return $"lost #{s.NumberOf(victim.Id)}";
            }
            case < 92 when allowFailures:
            {
                // Readiness timeouts: only a VM that never became ready fails (a running one that dies is lost).
                var victim = Pick(s.LiveVms.Where(v => v.State is not (VmState.FAILED or VmState.RUNNING)), random);
                if (victim is null) return null;
                s.Failed(victim.Id);
                return $"failed #{s.NumberOf(victim.Id)}";
            }
            case < 95 when state is ServiceState.PROLOGUE or ServiceState.RUNNING or ServiceState.ADAPTING or ServiceState.ERROR:
                s.Stop();
                return "stop";
            case < 98 when state is ServiceState.STOPPED:
                s.Start(random.Next(2) == 0 ? null : "other");
                return "start";
            case < 100:
            {
                // Reports that arrive twice change nothing.
                var any = Pick(s.Vms.Values, random);
                if (any is null) return null;
                var again = any.State switch
                {
                    VmState.RUNNING => VmOutcomes.Ready(s.Service, any, "127.0.0.1:1"),
                    VmState.TERMINATED or VmState.LOST => VmOutcomes.Terminated(s.Service, any),
                    _ => Decision.Accept(),
                };
                again.AssertNothing();
                if (any.State is VmState.TERMINATED or VmState.LOST)
                    VmOutcomes.Lost(s.Service, any, "again", s.Context).AssertNothing();
                return null;
            }
            default:
                return null;
        }
    }

    /// <summary>The cloud finishes everything it was asked: the service must end RUNNING, STOPPED or in ERROR, never stuck.</summary>
    internal static void Settle(ServiceScenario s, List<string> log)
    {
        for (var round = 0; round < 10 && s.Vms.Values.Any(v => v.IsLive && v.State is not VmState.RUNNING); round++)
        {
            s.ReadyAll();
            s.TerminateAll();
            CheckInvariants(s, log);
        }

        Assert.True(s.Service.State is ServiceState.RUNNING or ServiceState.STOPPED or ServiceState.ERROR,
            $"stuck in {s.Service.State} after: {string.Join("; ", log.TakeLast(15))}");
    }

    internal static void CheckInvariants(ServiceScenario s, List<string> log)
    {
        var service = s.Service;
        var context = $"state {service.State} after: {string.Join("; ", log.TakeLast(15))}";

        // No two live VMs (and so no two nodes) hold the same VPN address.
        var shared = s.LiveVms.Where(v => v.VpnAddress is not null).GroupBy(v => v.VpnAddress).FirstOrDefault(g => g.Count() > 1);
        Assert.True(shared is null, $"{shared?.Key} held by {string.Join(", ", shared?.Select(v => v.Name) ?? [])}; {context}");
        Assert.Equal(service.Nodes.Count, service.Nodes.Select(n => n.VpnAddress).Where(a => a is not null).Distinct().Count()
            + service.Nodes.Count(n => n.VpnAddress is null));

        // Every address inside the service subnet, never its network address.
        foreach (var vm in s.Vms.Values)
        {
            if (service.Subnet is null)
                Assert.Null(vm.VpnAddress);
            else
            {
                Assert.True(VpnPlan.Contains(service.Subnet, vm.VpnAddress!), $"{vm.VpnAddress} outside {service.Subnet}; {context}");
                Assert.NotEqual(service.Subnet.Split('/')[0], vm.VpnAddress);
            }
        }

        // Names and numbers are never reused.
        Assert.Equal(s.Vms.Count, s.Vms.Values.Select(v => v.Name).Distinct().Count());
        Assert.Equal(s.Vms.Count, s.Vms.Values.Select(v => s.NumberOf(v.Id)).Distinct().Count());
        Assert.Equal(s.Vms.Count == 0 ? 0 : s.Vms.Values.Max(v => s.NumberOf(v.Id)), service.LastNodeNumber);

        // The service holds exactly the live VMs, and agrees with each one about it.
        Assert.True(s.LiveVms.Select(v => v.Id).ToHashSet().SetEquals(service.Nodes.Select(n => n.VmId)),
            $"live VMs and nodes differ; {context}");
        foreach (var node in service.Nodes)
        {
            var vm = s.Vms[node.VmId];
            Assert.Equal(vm.VpnAddress, node.VpnAddress);
            Assert.Equal(vm.Name, node.Name);
            Assert.Equal(vm.Cloud, node.Cloud);
            switch (node.Status)
            {
                case NodeStatus.Requested:
                    Assert.Contains(vm.State, new[] { VmState.REQUESTED, VmState.PROVISIONING, VmState.BOOTING });
                    break;
                case NodeStatus.Ready:
                    Assert.Equal(VmState.RUNNING, vm.State);
                    break;
                case NodeStatus.Terminating:
                    Assert.Contains(vm.State, new[] { VmState.TERMINATING, VmState.FAILED });
                    break;
            }
        }

        Assert.True(service.Nodes.Count(n => n.Role == VmRole.MANAGER) <= 1, $"two managers; {context}");
        switch (service.State)
        {
            case ServiceState.RUNNING:
                Assert.All(service.Nodes, n => Assert.Equal(NodeStatus.Ready, n.Status));
                Assert.Single(service.Nodes, n => n.Role == VmRole.MANAGER);
                foreach (var (role, desired) in service.DesiredCounts)
                    Assert.True(desired == service.Agents.Count(n => n.ServiceRole == role),
                        $"{role}: desired {desired}, running {service.Agents.Count(n => n.ServiceRole == role)}; {context}");
                break;
            case ServiceState.EPILOGUE or ServiceState.ERROR:
                Assert.All(service.Nodes, n => Assert.Equal(NodeStatus.Terminating, n.Status));
                break;
            case ServiceState.STOPPED or ServiceState.INIT:
                Assert.Empty(service.Nodes);
                break;
        }
        Assert.DoesNotContain(service.DesiredCounts.Values, v => v < 0);
    }

    private static Vm? Pick(IEnumerable<Vm> vms, Random random)
    {
        var list = vms.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
        return list.Count == 0 ? null : list[random.Next(list.Count)];
    }
}
