using Conpaas.EventStore.Files;
using Conpaas.Domain.Files;
using Conpaas.Domain.Users;
using Marten;
using Microsoft.Extensions.Options;

namespace Conpaas.Api.Files;

/// <summary>Who asks, carried by every command of the slice: the events name them and the request's correlation id.</summary>
public sealed record FileActor(Guid UserId, string Username, string CorrelationId)
{
    public void Stamp(IDocumentSession session)
    {
        session.LastModifiedBy = Username;
        session.CorrelationId = CorrelationId;
    }
}

/// <summary>Keep an uploaded (already spooled and hashed) content as a new file of the caller.</summary>
public sealed record UploadFile(FileActor By, SpooledFile Content, string Name, DateTimeOffset At);

public static class UploadFileHandler
{
    /// <summary>
    /// The quota is read under the owner's stream version: two concurrent uploads cannot both pass it, the loser of
    /// the append is retried (Wolverine's policy for concurrency errors) and sees the winner's file.
    /// </summary>
    public static async Task<FileView> Handle(UploadFile command, IDocumentSession session, ContentFolder contents,
        IOptions<DataFileOptions> options, CancellationToken ct)
    {
        command.By.Stamp(session);
        var owner = await session.Events.FetchForWriting<User>(command.By.UserId, ct);
        var files = await session.Query<FileView>().Where(f => f.OwnerId == command.By.UserId).ToListAsync(ct);
        var stored = files.DistinctBy(f => f.Sha256).Sum(f => f.Size);
        var alreadyStored = files.Any(f => f.Sha256 == command.Content.Sha256);
        if (FileRules.CheckQuota(stored, command.Content.Size, alreadyStored, options.Value.QuotaBytes) is { } refused)
            throw refused.ToException();

        // In place before the fact is recorded: a file that is listed always has its content.
        contents.Place(command.By.UserId, command.Content);
        var uploaded = new FileUploaded(Guid.CreateVersion7(), command.By.UserId, command.Name, command.Content.Size,
            command.Content.Sha256, command.At);
        owner.AppendOne(uploaded);
        return FileProjection.Create(uploaded);
    }
}
