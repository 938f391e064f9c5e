using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Services;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Conpaas.Api.Services;

/// <summary>stopService: EPILOGUE, every VM released.</summary>
public sealed record StopService(Guid ServiceId, Actor By);

public static class StopServiceHandler
{
    public static (UpdatedAggregate, Events, OutgoingMessages) Handle(StopService cmd,
        [WriteAggregate(Required = false)] Service? service, IDocumentSession session, CloudWork work) =>
        ServiceWrites.Outcome(session, cmd.ServiceId, Domain.Services.StopService.Decide(ServiceWrites.Visible(service, cmd.ServiceId, cmd.By)), work);
}
