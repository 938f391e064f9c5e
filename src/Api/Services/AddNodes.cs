using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Services;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Conpaas.Api.Services;

/// <summary>addNodes: ADAPTING, the new agents requested; with expectedVersion, VERSION_CONFLICT when the service has moved on.</summary>
public sealed record AddNodes(Guid ServiceId, IReadOnlyList<NodeCount> Nodes, int? ExpectedVersion, Actor By);

public static class AddNodesHandler
{
    public static async Task<(UpdatedAggregate, Events, OutgoingMessages)> Handle(AddNodes cmd,
        [WriteAggregate(Required = false)] Service? service, IDocumentSession session, ServiceContextFactory contexts, CloudWork work,
        CancellationToken ct)
    {
        var visible = ServiceWrites.Visible(service, cmd.ServiceId, cmd.By);
        var ctx = await ServiceWrites.Context(session, visible, contexts, ct);
        return ServiceWrites.Outcome(session, cmd.ServiceId, Domain.Services.AddNodes.Decide(visible, cmd.Nodes, cmd.ExpectedVersion, ctx), work);
    }
}
