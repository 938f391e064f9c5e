using Conpaas.Domain.Vpn;

namespace Conpaas.Domain.Applications;

/// <summary>createApplication and renameApplication: the pure decisions (deleteApplication is RemoveService for each service).</summary>
public static class ApplicationDecisions
{
    public static DomainError? CheckName(string? name) => Text.CheckName("name", name);

    public static Decision Create(Guid applicationId, Guid ownerId, string? name, VpnPlan vpn, DateTimeOffset now) =>
        CheckName(name) is { } error
            ? error
            : Decision.Accept(new ApplicationCreated(applicationId, ownerId, Text.Normal(name!), vpn.Network, now));

    public static Decision Rename(Application app, string? name, int? expectedVersion)
    {
        if (app.Deleted) return NotFound(app.Id);
        if (CheckName(name) is { } error) return error;
        if (expectedVersion is { } v && v != app.Version) return DomainError.VersionConflict(v, app.Version);
        var normal = Text.Normal(name!);
        return normal == app.Name ? Decision.Accept() : Decision.Accept(new ApplicationRenamed(normal));
    }

    public static DomainError NameTaken(string name) =>
        DomainError.Conflict($"Application name \"{Text.Quote(Text.Normal(name))}\" is already taken", "name");

    public static DomainError NotFound(object id) => DomainError.NotFound($"Application not found: {id}");
}
