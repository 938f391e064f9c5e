using Conpaas.Domain.Vms;
using static Conpaas.Domain.Services.ServiceRules;

namespace Conpaas.Domain.Services;

/// <summary>
/// What the cloud tells about a VM, and how its service reacts, decided together: the target stream is the
/// service's, the VM's own events go to <see cref="Decision.Others"/>.
/// </summary>
public static class VmOutcomes
{
    public static Decision Provisioning(Vm vm) =>
        vm.State == VmState.REQUESTED ? OnVm(vm, new VmProvisioning()) : Decision.Accept();

    public static Decision Created(Vm vm, string providerId, string? address, DateTimeOffset? now = null) =>
        vm.State is VmState.REQUESTED or VmState.PROVISIONING ? OnVm(vm, new VmCreated(providerId, address, now)) : Decision.Accept();

    /// <summary>A VM that becomes ready after its service let it go is never recorded as running.</summary>
    public static Decision Ready(Service service, Vm vm, string address)
    {
        if (vm.State is not (VmState.REQUESTED or VmState.PROVISIONING or VmState.BOOTING)) return Decision.Accept();
        var node = service.Node(vm.Id);
        if (node is not { Status: NodeStatus.Requested })
            return Decision.Accept([], [new StreamEvent(vm.Id, new VmTerminationRequested("the service no longer needs it"))]);

        var decision = Decision.Accept([new NodeReady(vm.Id, address)], [new StreamEvent(vm.Id, new VmReady(address))]);
        var stillWaiting = service.Nodes.Any(n => n.VmId != vm.Id && n.Status != NodeStatus.Ready);
        return service.State is ServiceState.PROLOGUE or ServiceState.ADAPTING && !stillWaiting
            ? decision.Then(Decision.Accept(new ServiceRunning()))
            : decision;
    }

    /// <summary>
    /// A VM that fails while its service starts puts the service in ERROR and releases every VM. A new agent that fails
    /// while the service adapts (added by addNodes, or a replacement) is given up: the service keeps the nodes it has
    /// and returns to RUNNING once the failed VM is terminated, its desired count lowered and its stateReason naming the VM.
    /// </summary>
    public static Decision Failed(Service service, Vm vm, string reason, ServiceContext ctx)
    {
        if (!vm.IsLive || vm.State == VmState.FAILED) return Decision.Accept();
        var failed = OnVm(vm, new VmFailed(reason)).Then(OnVm(vm, new VmTerminationRequested(reason)));
        var node = service.Node(vm.Id);
        if (node is null || node.Status == NodeStatus.Terminating) return failed;

        // Tearing down a running service because one new agent would not boot costs the user every node that works;
        // without its manager, though, a service cannot run.
        if (service.State == ServiceState.ADAPTING && node is { Status: NodeStatus.Requested, Role: VmRole.AGENT })
            return failed.Then(Decision.Accept(new NodeFailed(vm.Id, reason)));
        if (service.State is ServiceState.PROLOGUE or ServiceState.ADAPTING)
            return failed.Then(Fail(service, $"VM {vm.Name} failed: {reason}", alreadyReleased: vm.Id));

        // A node that had been running fails: the service replaces it; the failed one keeps its address until it is gone.
        return failed.Then(Decision.Accept(new NodeFailed(vm.Id, reason))).Then(Replace(service, node, ctx, releasing: false));
    }

    public static Decision Terminated(Service service, Vm vm, DateTimeOffset? now = null)
    {
        if (vm.Released) return Decision.Accept();
        var released = OnVm(vm, new VmTerminated(now));
        return service.Node(vm.Id) is null ? released : released.Then(AfterRelease(service, vm.Id, new NodeReleased(vm.Id)));
    }

    /// <summary>The cloud no longer has the VM: its address is free, and a running service gets a replacement.</summary>
    public static Decision Lost(Service service, Vm vm, string reason, ServiceContext ctx)
    {
        if (!vm.IsLive) return Decision.Accept();
        var lost = OnVm(vm, new VmLost(reason, ctx.Now));
        var node = service.Node(vm.Id);
        if (node is null) return lost;
        if (node.Status == NodeStatus.Terminating) return lost.Then(AfterRelease(service, vm.Id, new NodeLost(vm.Id, reason)));
        if (service.State is not (ServiceState.RUNNING or ServiceState.ADAPTING or ServiceState.PROLOGUE))
            return lost.Then(Decision.Accept(new NodeLost(vm.Id, reason)));
        return lost.Then(Decision.Accept(new NodeLost(vm.Id, reason))).Then(Replace(service, node, ctx));
    }

    private static Decision Replace(Service service, Node node, ServiceContext ctx, bool releasing = true)
    {
        // The replacement goes where the lost one was; the cloud's health is checked like any request.
        if (ctx.Clouds.Check(node.Cloud, out var cloud) is { } badCloud)
            return Fail(service, $"Cannot replace VM {node.Name}: {badCloud.Message}", alreadyReleased: node.VmId);
        return RequestNodes(service, NodeRequestReason.Replacement, [new Wanted(node.Role, node.ServiceRole, cloud)], ctx,
            releasing: releasing ? node.VmId : null);
    }

    /// <summary>After a node is gone: a stop or removal may now be complete, or a scale-down done.</summary>
    private static Decision AfterRelease(Service service, Guid vmId, object releaseEvent)
    {
        var decision = Decision.Accept(releaseEvent);
        var remaining = service.Nodes.Where(n => n.VmId != vmId).ToList();
        switch (service.State)
        {
            case ServiceState.EPILOGUE when remaining.Count == 0:
                decision = decision.Then(Decision.Accept(new ServiceStopped()));
                if (service.RemovalPending) decision = decision.Then(RemoveService.Complete(service));
                return decision;
            case ServiceState.ADAPTING when remaining.All(n => n.Status == NodeStatus.Ready):
                return decision.Then(Decision.Accept(new ServiceRunning()));
            default:
                return decision;
        }
    }

    private static Decision OnVm(Vm vm, object e) => Decision.Accept([], [new StreamEvent(vm.Id, e)]);
}
