using Conpaas.Domain.Vms;

namespace Conpaas.Domain.Services;

/// <summary>Rules shared by the service commands: state checks, and turning wanted nodes into VM intents.</summary>
public static class ServiceRules
{
    public const int MaxNodesPerRequest = 256;

    /// <summary>ConPaaS: "Wrong service state: was expecting one of [INIT, STOPPED] but current state is 'RUNNING'".</summary>
    public static DomainError? ExpectState(Service service, params ServiceState[] allowed) =>
        allowed.Contains(service.State)
            ? null
            : DomainError.Conflict(
                $"Wrong service state: was expecting one of [{string.Join(", ", allowed)}] but current state is '{service.State}'");

    public static DomainError? ExpectVersion(Service service, int? expected) =>
        expected is { } v && v != service.Version ? DomainError.VersionConflict(v, service.Version) : null;

    public static DomainError NotFound(object id) => DomainError.NotFound($"Service not found: {id}");

    public static DomainError? ExpectCredit(int credit) =>
        credit <= 0 ? new DomainError(ErrorCode.INSUFFICIENT_CREDIT, "Insufficient credits") : null;

    public sealed record Wanted(VmRole Role, string? ServiceRole, string Cloud);

    /// <summary>One NodesRequested for the service and one VmRequested (a new VM stream) per node, each with its VPN address.</summary>
    /// <param name="releasing">A node released by the same decision, whose address may be handed out again.</param>
    public static Decision RequestNodes(Service service, NodeRequestReason reason, IReadOnlyList<Wanted> wanted, ServiceContext ctx,
        Guid? releasing = null)
    {
        var inUse = service.Nodes.Where(n => n.VpnAddress is not null && n.VmId != releasing).Select(n => n.VpnAddress!).ToHashSet();
        var requests = new List<NodeRequest>();
        var vms = new List<StreamEvent>();
        var number = service.LastNodeNumber;
        foreach (var w in wanted)
        {
            var address = ctx.Vpn.AllocateHostAddress(service.Subnet, inUse);
            if (address.Error is { } exhausted) return exhausted;
            if (address.Value is { } a) inUse.Add(a);

            var id = ctx.NewId();
            var name = VmNaming.Name(ctx.Deployment, service.OwnerId, service.ApplicationId, service.Sid, service.Type, ++number);
            requests.Add(new NodeRequest(id, number, name, w.Role, w.ServiceRole, w.Cloud, address.Value));
            vms.Add(StreamEvent.Start<Vm>(id, new VmRequested(id, service.Id, service.ApplicationId, service.OwnerId, name, w.Cloud,
                w.Role, w.ServiceRole, service.Type, address.Value, ctx.Now)));
        }

        return Decision.Accept([new NodesRequested(reason, requests)], vms);
    }

    /// <summary>ERROR with the reason; every VM the service holds is released.</summary>
    public static Decision Fail(Service service, string reason, Guid? alreadyReleased = null) =>
        Decision.Accept([new ServiceFailed(reason)],
            ReleaseAll(service, reason).Where(e => e.StreamId != alreadyReleased));

    /// <summary>Termination intents for every node the service still holds and has not yet released.</summary>
    public static IEnumerable<StreamEvent> ReleaseAll(Service service, string reason) =>
        service.Nodes.Where(n => n.Status != NodeStatus.Terminating)
            .Select(n => new StreamEvent(n.VmId, new VmTerminationRequested(reason)));
}
