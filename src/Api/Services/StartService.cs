using Conpaas.Api.Identity;
using Conpaas.CloudAgents.Clouds;
using Conpaas.CloudAgents.Provisioning;
using Conpaas.Domain.Services;
using Marten;
using Wolverine;
using Wolverine.Marten;

namespace Conpaas.Api.Services;

/// <summary>startService: PROLOGUE, with the manager and the initial agents requested on one cloud.</summary>
public sealed record StartService(Guid ServiceId, string? Cloud, Actor By);

public static class StartServiceHandler
{
    public static async Task<(UpdatedAggregate, Events, OutgoingMessages)> Handle(StartService cmd,
        [WriteAggregate(Required = false)] Service? service, IDocumentSession session, ServiceContextFactory contexts, CloudWork work,
        CancellationToken ct)
    {
        var visible = ServiceWrites.Visible(service, cmd.ServiceId, cmd.By);
        var ctx = await ServiceWrites.Context(session, visible, contexts, ct);
        return ServiceWrites.Outcome(session, cmd.ServiceId, Domain.Services.StartService.Decide(visible, cmd.Cloud, ctx), work);
    }
}
