using Conpaas.Domain.Files;
using Conpaas.Domain.Services;
using Marten.Events.Projections;
using Marten.Events.Aggregation;

namespace Conpaas.EventStore.Files;

/// <summary>A user's file as <c>files</c> lists it; gone once deleted.</summary>
public sealed class FileView
{
    public Guid Id { get; set; }
    public Guid OwnerId { get; set; }
    public string Name { get; set; } = "";
    public long Size { get; set; }
    public string Sha256 { get; set; } = "";
    public DateTimeOffset UploadedAt { get; set; }
}

/// <summary>Files are facts of their owner's stream; one document per file, inline with the upload.</summary>
public sealed partial class FileProjection : MultiStreamProjection<FileView, Guid>
{
    public FileProjection()
    {
        Identity<FileUploaded>(e => e.FileId);
        Identity<FileDeleted>(e => e.FileId);
        DeleteEvent<FileDeleted>();
    }

    public static FileView Create(FileUploaded e) => new()
    {
        Id = e.FileId, OwnerId = e.OwnerId, Name = e.Name, Size = e.Size, Sha256 = e.Sha256, UploadedAt = e.UploadedAt,
    };
}

/// <summary>The file a service boots with, per kind (the service's stream says which, and which content).</summary>
public sealed record ServiceFile(Guid FileId, string Name, long Size, string Sha256);

/// <summary>A service's startup script and code archive, keyed by the service's id.</summary>
public sealed class ServiceFilesView
{
    public Guid Id { get; set; }
    public Guid OwnerId { get; set; }
    public Dictionary<ServiceFileKind, ServiceFile> Files { get; set; } = [];
    /// <summary>The files in use, queryable: a file a service boots with cannot be deleted.</summary>
    public List<Guid> FileIds { get; set; } = [];
}

/// <summary>Reads the service's stream; a removed service holds no file any more.</summary>
public sealed partial class ServiceFilesProjection : SingleStreamProjection<ServiceFilesView, Guid>
{
    public ServiceFilesProjection() => DeleteEvent<ServiceRemoved>();

    public static ServiceFilesView Create(ServiceFileSet e) => Apply(e, new ServiceFilesView { Id = e.ServiceId, OwnerId = e.OwnerId });

    public static ServiceFilesView Apply(ServiceFileSet e, ServiceFilesView view)
    {
        view.Files[e.Kind] = new ServiceFile(e.FileId, e.Name, e.Size, e.Sha256);
        view.FileIds = view.Files.Values.Select(f => f.FileId).Distinct().ToList();
        return view;
    }
}

/// <summary>
/// A one-time link: the document's id is the SHA-256 of the link's secret (the secret itself is only in the URL).
/// The first GET deletes it.
/// </summary>
public sealed class FileLink
{
    public string Id { get; set; } = "";
    public Guid FileId { get; set; }
    public Guid OwnerId { get; set; }
    public string Sha256 { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }
}
