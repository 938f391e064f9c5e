using Conpaas.Api.Identity;
using Conpaas.Domain.Applications;
using Wolverine.Marten;

namespace Conpaas.Api.Applications;

/// <summary>renameApplication; with expectedVersion, VERSION_CONFLICT when the application has moved on.</summary>
public sealed record RenameApplication(Guid ApplicationId, string? Name, int? ExpectedVersion, Actor By);

public static class RenameApplicationHandler
{
    public static (UpdatedAggregate, Events) Handle(RenameApplication cmd, [WriteAggregate(Required = false)] Application? application) =>
        (new UpdatedAggregate(), [.. ApplicationDecisions.Rename(ApplicationWrites.Visible(application, cmd.ApplicationId, cmd.By), cmd.Name, cmd.ExpectedVersion)
            .EventsOrThrow()]);
}
