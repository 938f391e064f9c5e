using Conpaas.Domain.Services;

namespace Conpaas.Domain.Files;

/// <summary>An uploaded file as the decisions see it.</summary>
public sealed record OwnedFile(Guid Id, Guid OwnerId, string Name, long Size, string Sha256);

/// <summary>
/// setServiceFile and a manifest's StartupScript and Archive: one decision, so both record the same ServiceFileSet.
/// </summary>
public static class ServiceFiles
{
    /// <param name="current">The id of the file the service has for that kind now, if any.</param>
    public static Decision Set(Service service, ServiceFileKind kind, OwnedFile file, Guid? current)
    {
        if (service.Removed || service.RemovalPending) return ServiceRules.NotFound(service.Id);
        // Someone else's file answers like a missing one.
        if (file.OwnerId != service.OwnerId) return FileRules.NotFound(file.Id);
        // Setting what is already set records nothing (a manifest applied twice changes nothing).
        if (current == file.Id) return Decision.Accept();
        return Decision.Accept(new ServiceFileSet(service.Id, service.OwnerId, kind, file.Id, file.Name, file.Size, file.Sha256));
    }
}
