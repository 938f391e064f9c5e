using Conpaas.EventStore.Files;
using Conpaas.Domain.Files;
using Conpaas.Domain.Services;
using Marten;

namespace Conpaas.Api.Files;

/// <summary>
/// Make one of the caller's files the startup script or the code archive of one of their services; VMs that boot
/// afterwards get a one-time link to it. A manifest's StartupScript and Archive take the same decision (ServiceFiles.Set).
/// </summary>
public sealed record SetServiceFile(FileActor By, Guid ServiceId, ServiceFileKind Kind, Guid FileId);

public static class SetServiceFileHandler
{
    public static async Task<ServiceFile> Handle(SetServiceFile command, IDocumentSession session, CancellationToken ct)
    {
        command.By.Stamp(session);
        var stream = await session.Events.FetchForWriting<Service>(command.ServiceId, ct);
        if (stream.Aggregate is not { } service || service.OwnerId != command.By.UserId)
            throw ServiceRules.NotFound(command.ServiceId).ToException();
        var file = await session.LoadAsync<FileView>(command.FileId, ct);
        if (file is null || file.OwnerId != command.By.UserId) throw FileRules.NotFound(command.FileId).ToException();

        var current = (await session.LoadAsync<ServiceFilesView>(service.Id, ct))?.Files.GetValueOrDefault(command.Kind);
        var decision = ServiceFiles.Set(service, command.Kind, file.Owned(), current?.FileId);
        if (decision.Error is { } error) throw error.ToException();
        if (decision.Events.Count == 0) return current!;
        var set = (ServiceFileSet)decision.Events.Single();
        stream.AppendOne(set);
        return new ServiceFile(set.FileId, set.Name, set.Size, set.Sha256);
    }

    /// <summary>The read model's file as the decisions take it.</summary>
    public static OwnedFile Owned(this FileView file) => new(file.Id, file.OwnerId, file.Name, file.Size, file.Sha256);
}
