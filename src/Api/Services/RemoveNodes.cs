using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Services;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Conpaas.Api.Services;

/// <summary>removeNodes: the chosen agents released; with expectedVersion, VERSION_CONFLICT when the service has moved on.</summary>
public sealed record RemoveNodes(Guid ServiceId, IReadOnlyList<NodeCount> Nodes, int? ExpectedVersion, Actor By);

public static class RemoveNodesHandler
{
    public static (UpdatedAggregate, Events, OutgoingMessages) Handle(RemoveNodes cmd,
        [WriteAggregate(Required = false)] Service? service, IDocumentSession session, CloudCatalog clouds, CloudWork work)
    {
        var visible = ServiceWrites.Visible(service, cmd.ServiceId, cmd.By);
        return ServiceWrites.Outcome(session, cmd.ServiceId,
            Domain.Services.RemoveNodes.Decide(visible, cmd.Nodes, cmd.ExpectedVersion, clouds.Directory), work);
    }
}
