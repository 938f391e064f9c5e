using Conpaas.EventStore.Files;
using Conpaas.Api.GraphQL;
using Conpaas.Api.Hosting;
using Conpaas.Api.Identity;
using Conpaas.Domain;
using Conpaas.Domain.Files;
using Marten;
using Marten.Linq.MatchesSql;
using Microsoft.Extensions.Options;
using Wolverine;

namespace Conpaas.Api.Files;

public sealed record FilePage(IReadOnlyList<FileView> Files, string? NextCursor);

/// <summary>The glue of the data-files slice: check the arguments, send the command, answer.</summary>
public sealed class FileCommands(
    IMessageBus bus,
    IQuerySession reads,
    ContentFolder contents,
    Caller caller,
    IOptions<DataFileOptions> options,
    IOptions<DirectorOptions> director,
    TimeProvider clock)
{
    public const int MaxPageSize = 1000;

    private FileActor Actor()
    {
        var user = caller.RequireUser();
        return new FileActor(user.Id, user.Username, caller.CorrelationId);
    }

    public async Task<FileView> Upload(SpooledFile? file, string? name, CancellationToken ct)
    {
        var by = Actor();
        if (file is null) throw DomainError.Invalid("file", "Send the file as a part of a multipart/form-data request (README: Data files)").ToException();
        var (stored, error) = FileRules.NameOf(name, file.FileName);
        if (error is not null) throw error.ToException();
        return await bus.InvokeAsync<FileView>(new UploadFile(by, file, stored!, clock.GetUtcNow()), ct);
    }

    public async Task<bool> Delete(Guid id, CancellationToken ct)
    {
        var deleted = await bus.InvokeAsync<FileView>(new DeleteFile(Actor(), id, clock.GetUtcNow()), ct);
        // The content goes with the owner's last file that has it; a file uploaded with it meanwhile keeps it.
        if (!await reads.Query<FileView>().AnyAsync(f => f.OwnerId == deleted.OwnerId && f.Sha256 == deleted.Sha256, ct))
            contents.Remove(deleted.OwnerId, deleted.Sha256);
        return true;
    }

    public async Task<string> Link(Guid id, int ttlSeconds, CancellationToken ct)
    {
        var by = Actor();
        var max = (int)Math.Min(int.MaxValue, options.Value.MaxLinkLifetime.TotalSeconds);
        if (ttlSeconds < 1 || ttlSeconds > max)
            throw DomainError.Invalid("ttlSeconds", $"ttlSeconds must be between 1 and {max} (Files:MaxLinkLifetime)").ToException();
        var secret = FileLinks.NewSecret();
        await bus.InvokeAsync(new IssueFileLink(by, id, secret, clock.GetUtcNow().AddSeconds(ttlSeconds)), ct);
        return FileLinks.Url(director.Value.Url, secret);
    }

    public Task<ServiceFile> SetServiceFile(Guid serviceId, ServiceFileKind kind, Guid fileId, CancellationToken ct) =>
        bus.InvokeAsync<ServiceFile>(new SetServiceFile(Actor(), serviceId, kind, fileId), ct);

    public async Task<IReadOnlyList<(ServiceFileKind Kind, ServiceFile File)>> ServiceFiles(Guid serviceId, CancellationToken ct)
    {
        var user = caller.RequireUser();
        var service = await reads.LoadAsync<Domain.Services.Service>(serviceId, ct);
        if (service is null || service.Removed || service.OwnerId != user.Id) throw Domain.Services.ServiceRules.NotFound(serviceId).ToException();
        var view = await reads.LoadAsync<ServiceFilesView>(serviceId, ct);
        return view is null ? [] : view.Files.OrderBy(f => f.Key).Select(f => (f.Key, f.Value)).ToList();
    }

    /// <summary>The caller's files, oldest first (ids are time-ordered); the cursor is the last id of the page.</summary>
    public async Task<FilePage> List(int first, string? after, CancellationToken ct)
    {
        var user = caller.RequireUser();
        if (first is < 1 or > MaxPageSize) throw DomainError.Invalid("first", $"first must be between 1 and {MaxPageSize}").ToException();
        Guid? from = null;
        if (after is not null)
            from = Guid.TryParse(after, out var id) ? id : throw DomainError.Invalid("after", $"'{Text.Quote(after)}' is not a cursor of files").ToException();
        var query = reads.Query<FileView>().Where(f => f.OwnerId == user.Id);
        if (from is { } cursor) query = query.Where(f => f.MatchesSql("d.id > ?", cursor));
        var page = await query.OrderBy(f => f.Id).Take(first + 1).ToListAsync(ct);
        return page.Count > first ? new FilePage(page.Take(first).ToList(), page[first - 1].Id.ToString()) : new FilePage(page, null);
    }
}
