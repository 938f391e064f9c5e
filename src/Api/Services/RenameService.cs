using Conpaas.Api.Identity;
using Conpaas.Domain.Services;
using Conpaas.EventStore.Writing;
using Marten;
using Wolverine.Marten;

namespace Conpaas.Api.Services;

/// <summary>renameService; with expectedVersion, VERSION_CONFLICT when the service has moved on.</summary>
public sealed record RenameService(Guid ServiceId, string? Name, int? ExpectedVersion, Actor By);

public static class RenameServiceHandler
{
    public static (UpdatedAggregate, Events) Handle(RenameService cmd, [WriteAggregate(Required = false)] Service? service, IDocumentSession session)
    {
        var decision = Domain.Services.RenameService.Decide(ServiceWrites.Visible(service, cmd.ServiceId, cmd.By), cmd.Name, cmd.ExpectedVersion);
        return (new UpdatedAggregate(), new Events(session.AppendOthers(cmd.ServiceId, decision)));
    }
}
