using Conpaas.EventStore.Files;
using Conpaas.Domain;
using Conpaas.Domain.Files;
using Conpaas.Domain.Users;
using Marten;

namespace Conpaas.Api.Files;

/// <summary>Delete one of the caller's files; answers the deleted file (its content is removed when no other file has it).</summary>
public sealed record DeleteFile(FileActor By, Guid FileId, DateTimeOffset At);

public static class DeleteFileHandler
{
    public static async Task<FileView> Handle(DeleteFile command, IDocumentSession session, CancellationToken ct)
    {
        command.By.Stamp(session);
        var owner = await session.Events.FetchForWriting<User>(command.By.UserId, ct);
        var file = await session.LoadAsync<FileView>(command.FileId, ct);
        if (file is null || file.OwnerId != command.By.UserId) throw FileRules.NotFound(command.FileId).ToException();
        // A service would boot without its script or archive: it must be given another one first.
        var usedBy = await session.Query<ServiceFilesView>().Where(v => v.FileIds.Contains(command.FileId)).FirstOrDefaultAsync(ct);
        if (usedBy is not null)
            throw DomainError.Conflict($"File {file.Id} is a startup script or archive of service {usedBy.Id}: set another file there first", "id").ToException();

        owner.AppendOne(new FileDeleted(file.Id, file.OwnerId, file.Sha256, command.At));
        return file;
    }
}
