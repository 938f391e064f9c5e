using Conpaas.EventStore.Files;
using Conpaas.Domain.Files;
using Conpaas.Domain.Services;
using Marten;

namespace Conpaas.Api.Files;

/// <summary>
/// Make one of the caller's files the startup script or the code archive of one of their services; VMs that boot
/// afterwards get a one-time link to it. The seam a manifest's StartupScript and Archive use.
/// </summary>
public sealed record SetServiceFile(FileActor By, Guid ServiceId, ServiceFileKind Kind, Guid FileId);

public static class SetServiceFileHandler
{
    public static async Task<ServiceFile> Handle(SetServiceFile command, IDocumentSession session, CancellationToken ct)
    {
        command.By.Stamp(session);
        var stream = await session.Events.FetchForWriting<Service>(command.ServiceId, ct);
        if (stream.Aggregate is not { Removed: false, RemovalPending: false } service || service.OwnerId != command.By.UserId)
            throw ServiceRules.NotFound(command.ServiceId).ToException();
        var file = await session.LoadAsync<FileView>(command.FileId, ct);
        if (file is null || file.OwnerId != command.By.UserId) throw FileRules.NotFound(command.FileId).ToException();

        // Setting what is already set records nothing (a manifest applied twice changes nothing).
        var current = (await session.LoadAsync<ServiceFilesView>(service.Id, ct))?.Files.GetValueOrDefault(command.Kind);
        if (current is not null && current.FileId == file.Id) return current;

        var set = new ServiceFileSet(service.Id, service.OwnerId, command.Kind, file.Id, file.Name, file.Size, file.Sha256);
        stream.AppendOne(set);
        return new ServiceFile(set.FileId, set.Name, set.Size, set.Sha256);
    }
}
