using Conpaas.Domain.Vms;
using static Conpaas.Domain.Services.ServiceRules;

namespace Conpaas.Domain.Services;

/// <summary>startService: PROLOGUE, with the manager VM and the type's initial agents requested on one cloud.</summary>
public static class StartService
{
    public static Decision Decide(Service service, string? cloud, ServiceContext ctx)
    {
        if (ExpectState(service, ServiceState.INIT, ServiceState.STOPPED) is { } wrongState) return wrongState;
        if (service.RemovalPending) return DomainError.Conflict("The service is being removed");
        if (ctx.Clouds.Check(cloud, out var resolved) is { } badCloud) return badCloud;
        if (ExpectCredit(ctx.OwnerCredit) is { } noCredit) return noCredit;

        var type = ServiceContext.TypeOf(service);
        var wanted = new List<Wanted> { new(VmRole.MANAGER, null, resolved) };
        foreach (var role in type.Roles)
            wanted.AddRange(Enumerable.Repeat(new Wanted(VmRole.AGENT, role.Name, resolved), role.InitialCount));

        return Decision.Accept(new ServiceStartRequested(resolved, type.InitialCounts))
            .Then(RequestNodes(service, NodeRequestReason.Start, wanted, ctx));
    }
}
