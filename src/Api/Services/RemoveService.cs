using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Services;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Conpaas.Api.Services;

/// <summary>removeService: stopped first when it holds VMs, removed when the last one is released.</summary>
public sealed record RemoveService(Guid ServiceId, Actor By);

public static class RemoveServiceHandler
{
    public static (Events, OutgoingMessages) Handle(RemoveService cmd,
        [WriteAggregate(Required = false)] Service? service, IDocumentSession session, CloudWork work)
    {
        var (_, events, messages) = ServiceWrites.Outcome(session, cmd.ServiceId,
            Domain.Services.RemoveService.Decide(ServiceWrites.Visible(service, cmd.ServiceId, cmd.By)), work);
        return (events, messages);
    }
}
