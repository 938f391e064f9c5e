using Conpaas.Domain.Vms;
using static Conpaas.Domain.Services.ServiceRules;

namespace Conpaas.Domain.Services;

/// <summary>addNodes: RUNNING → ADAPTING, one VM intent per node; RUNNING again when they are all ready.</summary>
public static class AddNodes
{
    public static Decision Decide(Service service, IReadOnlyList<NodeCount> nodes, int? expectedVersion, ServiceContext ctx)
    {
        if (NodeCounts.Validate(service, nodes, out var wanted) is { } bad) return bad;
        if (ExpectVersion(service, expectedVersion) is { } conflict) return conflict;
        if (ExpectState(service, ServiceState.RUNNING) is { } wrongState) return wrongState;

        var requests = new List<Wanted>();
        foreach (var (role, cloud, count) in wanted)
        {
            if (ctx.Clouds.Check(cloud ?? service.Cloud, out var resolved) is { } badCloud) return badCloud;
            requests.AddRange(Enumerable.Repeat(new Wanted(VmRole.AGENT, role, resolved), count));
        }

        if (ExpectCredit(ctx.OwnerCredit) is { } noCredit) return noCredit;
        return RequestNodes(service, NodeRequestReason.Scale, requests, ctx);
    }
}
