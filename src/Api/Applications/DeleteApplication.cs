using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain;
using Conpaas.Domain.Applications;
using Conpaas.Domain.Services;
using Conpaas.EventStore.Writing;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Conpaas.Api.Applications;

/// <summary>deleteApplication: every service is removed (stopped first where it holds VMs), then the application; one transaction.</summary>
public sealed record DeleteApplication(Guid ApplicationId, Actor By);

public static class DeleteApplicationHandler
{
    public static async Task<(Events, OutgoingMessages)> Handle(DeleteApplication cmd,
        [WriteAggregate(Required = false)] Application? application, IDocumentSession session, CloudWork work, CancellationToken ct)
    {
        var app = ApplicationWrites.Visible(application, cmd.ApplicationId, cmd.By);
        var messages = new OutgoingMessages();
        foreach (var slot in app.Services)
        {
            // Each service's version is checked at commit too: a service that moved meanwhile makes the whole delete run again.
            var service = await session.Events.FetchForWriting<Service>(slot.ServiceId, ct);
            if (service.Aggregate is not { Removed: false } s) continue;
            var removal = Domain.Services.RemoveService.Decide(s);
            session.Append(service, removal);
            messages.AddRange(work.For(removal));
        }

        return ([new ApplicationDeleted()], messages);
    }
}
