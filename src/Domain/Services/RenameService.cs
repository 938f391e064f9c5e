namespace Conpaas.Domain.Services;

public static class RenameService
{
    public static Decision Decide(Service service, string? name, int? expectedVersion)
    {
        if (service.Removed) return ServiceRules.NotFound(service.Id);
        if (Text.CheckName("name", name) is { } error) return error;
        if (ServiceRules.ExpectVersion(service, expectedVersion) is { } conflict) return conflict;
        return name!.Trim() == service.Name ? Decision.Accept() : Decision.Accept(new ServiceRenamed(name.Trim()));
    }
}
