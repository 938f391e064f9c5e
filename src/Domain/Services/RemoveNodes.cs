using Conpaas.Domain.Clouds;
using Conpaas.Domain.Vms;
using static Conpaas.Domain.Services.ServiceRules;

namespace Conpaas.Domain.Services;

/// <summary>removeNodes: RUNNING → ADAPTING; the newest agents of each role go first; RUNNING again when they are gone.</summary>
public static class RemoveNodes
{
    public static Decision Decide(Service service, IReadOnlyList<NodeCount> nodes, int? expectedVersion, CloudDirectory clouds)
    {
        if (NodeCounts.Validate(service, nodes, out var wanted) is { } bad) return bad;
        if (ExpectVersion(service, expectedVersion) is { } conflict) return conflict;
        if (ExpectState(service, ServiceState.RUNNING) is { } wrongState) return wrongState;

        // A named cloud must exist, as for addNodes; it need not be healthy to let nodes go.
        foreach (var (_, cloud, _) in wanted)
            if (cloud is not null && clouds.CheckKnown(cloud, out _) is { } unknown) return unknown;

        var type = ServiceContext.TypeOf(service);
        var chosen = new List<Guid>();
        foreach (var group in wanted.GroupBy(w => w.Role))
        {
            var active = service.Agents.Where(n => n.ServiceRole == group.Key && n.Status != NodeStatus.Terminating).ToList();
            // A role keeps the nodes it starts with (ConPaaS: a service keeps at least its initial backend).
            var budget = Math.Max(0, active.Count - type.Role(group.Key)!.InitialCount);
            foreach (var (_, cloud, count) in group)
            {
                var candidates = active.Where(n => (cloud is null || n.Cloud == cloud) && !chosen.Contains(n.VmId))
                    .OrderByDescending(n => n.Number).ToList();
                var removable = Math.Min(budget, candidates.Count);
                if (count > removable)
                    return DomainError.Invalid("count", $"Requesting to delete {count} nodes while only {removable} can be removed");
                chosen.AddRange(candidates.Take(count).Select(n => n.VmId));
                budget -= count;
            }
        }

        return Decision.Accept(
            [new NodesRemovalRequested(chosen)],
            chosen.Select(id => new StreamEvent(id, new VmTerminationRequested("removed by removeNodes"))));
    }
}
